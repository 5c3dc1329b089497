"""A firm's exports for DAG tests: the whole client list as CSV, and each client's documents."""

from __future__ import annotations

import csv
from pathlib import Path


def write_exports(
    directory: Path, clients: int, *, docs_per_client: int = 2, prefix: str = "client"
) -> tuple[Path, Path]:
    """``clients.csv`` (externalId,name) and ``documents.csv`` for clients ``0..clients-1``."""
    directory.mkdir(parents=True, exist_ok=True)
    clients_path, documents_path = directory / "clients.csv", directory / "documents.csv"
    with clients_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["externalId", "name"])
        writer.writerows([f"{prefix}-{i:06d}", f"Client {i}"] for i in range(clients))
    with documents_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["clientExternalId", "externalId", "name", "type", "url"])
        for i in range(clients):
            for j in range(docs_per_client):
                url = f"https://files.example.test/{prefix}/{i}/w2-{j}.pdf"
                writer.writerow([f"{prefix}-{i:06d}", f"{prefix}-{i:06d}-doc-{j}", f"W-2 #{j}", "w2", url])
    return clients_path, documents_path


def add_documents(documents_path: Path, rows: list[tuple[str, str]], prefix: str = "late") -> None:
    """Append documents ``(client externalId, document externalId)`` to an export."""
    with documents_path.open("a", newline="") as handle:
        writer = csv.writer(handle)
        for client, document in rows:
            writer.writerow(
                [client, document, "Late 1099", "1099", f"https://files.example.test/{prefix}/{document}.pdf"]
            )
