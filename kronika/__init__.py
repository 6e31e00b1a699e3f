"""Kronika: a chronicle of what news outlets and official Telegram channels said, and when."""
__version__ = "0.1.0"
