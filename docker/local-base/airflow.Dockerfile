# Stand-in for apache/airflow:<version>: what docker/Dockerfile and docker-compose.yaml rely on.
FROM filed-local/debian:bookworm
ARG AIRFLOW_VERSION
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends python3 python3-venv curl libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home airflow \
    && mkdir -p /opt/airflow && chown airflow:0 /opt/airflow \
    && python3 -m venv /home/airflow/.venv && chown -R airflow:0 /home/airflow
COPY constraints.txt /home/airflow/constraints.txt
COPY airflow-entrypoint /entrypoint
ENV PATH=/home/airflow/.venv/bin:$PATH AIRFLOW_HOME=/opt/airflow PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
USER airflow
RUN pip install --no-cache-dir -q -c /home/airflow/constraints.txt "apache-airflow[celery,postgres]==${AIRFLOW_VERSION}"
WORKDIR /opt/airflow
ENTRYPOINT ["/entrypoint"]
CMD ["version"]
