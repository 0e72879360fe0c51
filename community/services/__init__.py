"""Services: one module per domain. Each loads, checks a policy, changes rows, commits, then
queues side effects. Services never import `request`."""
