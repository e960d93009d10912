"""What the desk does, callable from any front end (chat steps, the scheduler, the shell, the CLI).

Services take a unit of work (or plain data), never the `App`: the wiring in `bot/`
depends on them, not the other way round."""
