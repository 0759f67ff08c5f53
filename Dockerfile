# The vault API image.  Dependencies come from the hash-checked lock, as in development.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /srv/vault vault

WORKDIR /srv/vault/app
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY vault vault
COPY api api
COPY crypto crypto
COPY audit audit
COPY storage storage
RUN pip install --no-cache-dir --no-deps .

USER vault
ENV VAULT_DATA_DIR=/srv/vault/data VAULT_HOST=0.0.0.0 VAULT_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["vault", "serve"]
