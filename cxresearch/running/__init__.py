"""The running layer: run specifications, the runner, kernels, batches and publishing.

Everything here runs in the parent process, on the far side of the kernel boundary.
"""
