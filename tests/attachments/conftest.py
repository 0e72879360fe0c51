"""The attachment tests run on both stores: the local folder, and a real S3-compatible server."""
from tests.storage.test_storage import s3_endpoint, s3_settings  # noqa: F401 (fixtures)
