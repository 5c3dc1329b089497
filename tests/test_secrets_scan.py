"""The suite's secrets scan can fail: a test that leaks the API key, in any phase, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


def test_a_test_that_logs_or_prints_the_api_key_errors(
    pytester: pytest.Pytester, capfd: pytest.CaptureFixture[str]
) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(
        test_leaks="""
        import logging

        import pytest

        from conftest import TEST_API_KEY

        log = logging.getLogger("airflow_provider_filed.client")


        @pytest.fixture
        def logs_in_setup():
            log.info("setting up with %s", TEST_API_KEY)


        def test_logs_the_key_in_the_call():
            log.debug("calling with key=%s", TEST_API_KEY)


        def test_logs_the_key_in_setup(logs_in_setup):
            pass


        def test_raises_with_the_key_logged():
            try:
                raise RuntimeError(TEST_API_KEY)
            except RuntimeError:
                logging.getLogger("somewhere.else").exception("failed")


        def test_prints_the_key():
            print(TEST_API_KEY)


        def test_keeps_it_secret():
            log.info("nothing to see")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    capfd.readouterr()  # the inner run's report shows the key: it is this test's to consume
    result.assert_outcomes(passed=5, errors=4)
