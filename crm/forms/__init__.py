"""Web forms, one module per domain (enterprises, engagement, policies, lists, imports); ``base`` holds
the Bootstrap styling and the staff/enterprise pickers they share."""
