"""Business actions every front end calls (chat, console, CLI, scheduler)."""
