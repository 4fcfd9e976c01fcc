"""The command-line channel: `returnbridge …`."""
