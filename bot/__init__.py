"""Haven: moderated safe online spaces for young people on Discord and Matrix."""

__version__ = "0.1.0"
