"""The HTTP edge: Litestar app, controllers, guards and error mapping."""
