"""The social-network bridge: find complaints on X, route them, invite, close the loop."""
