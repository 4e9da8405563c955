from . import services


def cleanup_abandoned_uploads():
    return services.cleanup_abandoned_uploads()
