"""Config: every key has a default; an unknown key or bad value is one line naming it."""

from pathlib import Path

import pytest

from jobs.config import ConfigError, config_from_dict, load_config


def test_no_file_means_all_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AYRDW_CONFIG", raising=False)
    config = load_config(None)
    assert config.site.url == "http://www.ayrdw.gov.cn/"
    assert config.site.section == "监督工作"
    assert config.crawl.delay == 1.0 and config.crawl.timeout == 20.0
    assert config.crawl.max_bytes == 5_000_000 and config.crawl.max_list_pages == 200
    assert config.crawl.user_agent.startswith("ayrdw-watch/")
    assert config.schedule.interval == 1800.0 and config.crawl.recheck == 86400.0


def test_durations_and_sizes() -> None:
    config = config_from_dict({"crawl": {"delay": "0s", "timeout": "1.5s", "max_bytes": "512KB", "recheck": "24h"}})
    assert (config.crawl.delay, config.crawl.timeout, config.crawl.max_bytes) == (0.0, 1.5, 512_000)
    assert config.crawl.recheck == 86400.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"crawl": {"dealy": "1s"}}, "unknown key crawl.dealy"),
        ({"crawl": {"delay": "soon"}}, "crawl.delay: expected a duration"),
        ({"crawl": {"timeout": "0s"}}, "crawl.timeout: must be longer than 0s"),
        ({"crawl": {"max_bytes": "lots"}}, "crawl.max_bytes: expected a size"),
        ({"crawl": {"max_list_pages": 0}}, "crawl.max_list_pages"),
        ({"crawl": {"hosts_in_parallel": 0}}, "crawl.hosts_in_parallel: expected a whole number of at least 1"),
        ({"crawl": {"hosts_in_parallel": "many"}}, "crawl.hosts_in_parallel: expected a whole number"),
        ({"crawl": {"verify_tls": "no"}}, "crawl.verify_tls: expected true or false"),
        ({"site": {"url": "www.ayrdw.gov.cn"}}, "site.url: expected an http:// or https:// URL"),
        ({"sites": {}}, "unknown table [sites]"),
    ],
)
def test_bad_values_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    file = tmp_path / "conf" / "ayrdw.toml"
    file.write_text('[storage]\ndb = "data/watch.db"\n[site]\nprofile = "site.toml"\n', encoding="utf-8")
    (tmp_path / "conf" / "site.toml").write_text('[selectors]\nbody = "#zoom"\n', encoding="utf-8")
    config = load_config(file)
    assert config.storage.db == tmp_path / "conf" / "data" / "watch.db"
    assert config.site.profile == tmp_path / "conf" / "site.toml"
    assert config.watches[0].selectors.body == "#zoom", "the profile is read from beside the config file"


def test_broken_toml_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("[crawl\ndelay = 1s\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(file)


def test_profile_with_a_bad_selector_is_a_config_error(tmp_path: Path) -> None:
    profile = tmp_path / "site.toml"
    profile.write_text('[selectors]\nbody = "div[["\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"selectors.body is not a valid CSS selector"):
        config_from_dict({"site": {"profile": str(profile)}})


def test_the_example_config_of_three_watches_loads() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "ayrdw.toml"
    config = load_config(example, env={"AYRDW_WEBHOOK_SECRET": "x", "AYRDW_SMTP_PASSWORD": "y"})
    assert [w.name for w in config.watches] == ["anyue-jdgz", "anyue-cwh", "anyue-jw"]
    assert config.interval(config.watches[1]) == 7200
