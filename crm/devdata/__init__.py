"""Development data: the demo programme (``demo``) and the province-scale generator (``scale``).

Only the seed commands and tests import this package; runtime code never does."""
