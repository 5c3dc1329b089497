from __future__ import annotations

from airflow_provider_filed.get_provider_info import get_provider_info


def test_provider_is_registered_with_airflow() -> None:
    from airflow.providers_manager import ProvidersManager

    providers = ProvidersManager().providers
    assert "airflow-provider-filed" in providers
    info = providers["airflow-provider-filed"]
    assert info.data["name"] == "Filed"
    assert info.version == get_provider_info()["versions"][0]
