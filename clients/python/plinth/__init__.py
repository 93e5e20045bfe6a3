"""plinth: the Python client of the plinth MLOps server (standard library only).

    import plinth
    client = plinth.Client("http://127.0.0.1:8080", token)      # or Client.from_data_dir(dir)
    with client.start_run(experiment_name="demand") as run:
        run.log_params({"max_depth": 6})
        run.log_metric("rmse", 0.21, step=1)

Modules: `transport` (HTTP, errors), `client` (Client), `run` (ActiveRun); `serving`,
`features` and `monitoring` hold the Client methods for those areas.
"""

from .client import Client
from .features import online_features_to_dict
from .run import ActiveRun
from .transport import (
    AlreadyExistsError,
    ConflictError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PlinthError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnsupportedMediaTypeError,
)

__version__ = "0.1.0"

__all__ = [
    "Client", "ActiveRun", "online_features_to_dict", "PlinthError", "InvalidArgumentError", "UnauthenticatedError",
    "PermissionDeniedError", "NotFoundError", "MethodNotAllowedError", "AlreadyExistsError",
    "ConflictError", "PayloadTooLargeError", "UnsupportedMediaTypeError",
    "FailedPreconditionError", "ResourceExhaustedError", "InternalError", "UnavailableError",
]
