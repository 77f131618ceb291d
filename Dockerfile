# syntax=docker/dockerfile:1
# pgmigrate as an image. The builder runs scripts/package.sh, the script that
# makes the release .deb and tarball (and that CI installs and exercises); the
# image installs that very .deb on a slim Debian, whose apt brings libpq5 and
# libssl3 from the package's Depends.
#
#   docker build -t pgmigrate .
#   docker run --rm -e DATABASE_URL=postgres://user:pw@host:5432/db pgmigrate ping
#   docker run --rm -e DATABASE_URL=... pgmigrate migrate --dir /usr/share/pgmigrate/sql
#   docker run --rm -e DATABASE_URL=... -v "$PWD:/work:ro" pgmigrate migrate   # your ./sql
#
# The version comes from the context's .git as scripts/package.sh derives it
# (the release number alone without git history);
# --build-arg PGMIGRATE_VERSION=X.Y.Z overrides it.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq-dev libssl-dev pkg-config dpkg-dev binutils git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG PGMIGRATE_VERSION=
RUN PGMIGRATE_VERSION="${PGMIGRATE_VERSION}" scripts/package.sh

FROM ${RUNTIME_IMAGE}
COPY --from=build /src/dist/pgmigrate_*.deb /tmp/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/pgmigrate_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/pgmigrate_*.deb \
 && pgmigrate --version
USER nobody
WORKDIR /work
ENTRYPOINT ["pgmigrate"]
CMD ["--help"]
