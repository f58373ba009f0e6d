# syntax=docker/dockerfile:1
# The pennylane-sync image: the Dagster code location (gRPC server), also used by the webserver,
# the daemon and the run pods (K8sRunLauncher). Dependencies come from requirements.lock, every
# wheel pinned by version and SHA-256 (`make lock` regenerates it from pyproject.toml).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock
COPY pyproject.toml README.md /src/
COPY core /src/core
COPY resources /src/resources
COPY pipelines /src/pipelines
# setuptools and wheel are in the lock too: the project builds offline, with no unpinned build deps.
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation /src

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    TENANTS_DIR=/etc/pennylane-sync/tenants \
    TOPORDER_INBOX_DIR=/var/lib/pennylane-sync/toporder
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /opt/dagster/dagster_home /opt/dagster/app /etc/pennylane-sync/tenants \
                /var/lib/pennylane-sync/toporder \
    && chown -R 10001:10001 /opt/dagster /var/lib/pennylane-sync
COPY --from=build /opt/venv /opt/venv
COPY --chown=10001:10001 workspace.yaml deploy/dagster.yaml /opt/dagster/app/
RUN cp /opt/dagster/app/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
WORKDIR /opt/dagster/app
USER 10001:10001
EXPOSE 3030
# The Helm chart overrides the command with its own `dagster api grpc` arguments.
CMD ["dagster", "api", "grpc", "--host", "0.0.0.0", "--port", "3030", \
     "--module-name", "pipelines.definitions", "--attribute", "defs"]
