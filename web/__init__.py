"""The office console: a web desk for the service centre (issue 16), served by aiohttp on the
bot's own event loop.  Pages are rendered on the server (Jinja2); every case action goes
through the same services the chat uses."""
