"""Training: the plan, the loop and its step strategies, optimizers, losses, events and diagnoses."""
