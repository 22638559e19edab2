"""Live-call adapters: the FastAGI server, the ARI (Stasis) app and the AMI consumer."""
