# Parvis: the ASGI app served by daphne on port 8000, GraphiQL's assets included so
# that /graphql/ works offline. Used by docker-compose.yml; see docs/DOCKER.md.

# --- GraphiQL's browser assets (what `make vendor` does with npm) -------------------
FROM node:20-slim AS graphiql
WORKDIR /build
COPY graphiql/package.json graphiql/package-lock.json ./graphiql/
RUN npm ci --no-audit --no-fund --prefix graphiql

# --- Python, the runtime dependencies and the source ---------------------------------
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The runtime dependencies of pyproject.toml (no dev extras), in a layer of their own
# that is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Editable, so that settings.BASE_DIR is /app from any working directory: var/vendor
# (GraphiQL's assets) and var/static are looked up under it.
RUN pip install --no-deps -e .

# --- GraphiQL's assets copied into var/vendor by the app's own command ---------------
FROM base AS vendor
COPY --from=graphiql /build/graphiql/node_modules ./graphiql/node_modules
# DEBUG=1 for this command only: with DEBUG off, settings refuse to load without a
# SECRET_KEY. It needs neither the database nor Redis.
RUN DEBUG=1 python manage.py vendor_graphiql

# --- The image that runs -------------------------------------------------------------
FROM base
COPY --from=vendor /app/var/vendor ./var/vendor
# WhiteNoise serves static files straight from the finders (WHITENOISE_USE_FINDERS),
# so no collectstatic; an empty STATIC_ROOT only silences its "No directory" warning.
# The app's files stay owned by root: the user that runs it cannot change them.
RUN mkdir -p var/static \
    && groupadd --system --gid 10001 parvis \
    && useradd --system --uid 10001 --gid parvis --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin parvis
USER 10001:10001

EXPOSE 8000
# Configuration comes from the environment (docker-compose.yml, docs/DOCKER.md).
# Migrations run on every start, then daphne replaces the shell to get the signals.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec daphne -b 0.0.0.0 -p 8000 project.asgi:application"]
