"""The ImmigraFlow domain: handlers, storage, status simulation, notifications and webhooks."""
