"""A stand-in for AWS ECR on loopback, for tests, benchmarks and trying deploys without AWS.

moto answers the ECR API; Debian's `docker-registry` serves the images over TLS under the
repository URI's own host name, with the password moto's GetAuthorizationToken hands out.
ragctl talks to it exactly as it talks to AWS: only the standard endpoint variables differ.
"""
