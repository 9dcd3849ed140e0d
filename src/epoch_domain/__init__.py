"""The business rules of the Epoch AI receptionist, free of I/O and frameworks.

Start reading at `plans` (what each tier buys), `metering` and `cycles` (how call
time becomes minutes in a billing cycle), then `usecases`, which drive the
ports declared in `ports`.
"""
