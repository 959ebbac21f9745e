"""``byggpuls admin``: users and API keys in the registry that the settings name, from the
command line; the password from standard input or typed twice at a terminal."""

from __future__ import annotations

import fcntl
import logging
import os
import pty
import selectors
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from byggpuls.reading import BuildingInfo
from byggpuls.registry import Registry, make_engine, migrate
from cli.main import main
from tests.processes import REFUSAL_DEADLINE_S, REPO, byggpuls

PASSWORD = "Sterkt-passord-2026"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The registry's URL, a SQLite file of this test's own, set as BYGGPULS_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    for name in [name for name in os.environ if name.startswith("BYGGPULS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BYGGPULS_DATABASE_URL", url)
    monkeypatch.setenv("BYGGPULS_DATA_DIR", str(tmp_path / "var"))
    return url


@pytest.fixture
def registry(database: str) -> Iterator[Registry]:
    """The registry the command works on, to look at what it did."""
    engine = make_engine(database)
    migrate(engine)
    try:
        yield Registry(engine)
    finally:
        engine.dispose()


@pytest.fixture
def run(database: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """``byggpuls ARGS`` in this process: its exit code, stdout and stderr. The logging it
    configures is undone afterwards."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    saved = [(logger, logger.handlers[:], logger.level) for logger in loggers]

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``byggpuls admin ARGS`` as its own process, ``stdin`` as its standard input."""
    return subprocess.run(
        byggpuls("admin", *args),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=REFUSAL_DEADLINE_S,
        check=False,
    )


def at_a_terminal(*args: str, answers: list[tuple[str, str]]) -> tuple[int, str]:
    """``byggpuls admin ARGS`` on a terminal of its own (a pseudo-terminal): each answer is
    typed once its prompt shows. Its exit code and all it showed."""
    master, slave = pty.openpty()

    def take_the_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the terminal getpass opens as /dev/tty

    process = subprocess.Popen(
        byggpuls("admin", *args),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        start_new_session=True,
        preexec_fn=take_the_terminal,  # noqa: PLW1509 - one system call, no locks
    )
    os.close(slave)
    shown, pending = "", list(answers)
    selector = selectors.DefaultSelector()
    selector.register(master, selectors.EVENT_READ)
    deadline = time.monotonic() + REFUSAL_DEADLINE_S
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0] in shown:
                prompt, answer = pending.pop(0)
                shown = shown.replace(prompt, f"<{prompt}>", 1)
                os.write(master, f"{answer}\n".encode())
            if not selector.select(timeout=0.5):
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed: the command ended
                break
            if not chunk:
                break
            shown += chunk.decode(errors="replace")
        code = process.wait(timeout=REFUSAL_DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        selector.close()
        os.close(master)
    return code, shown


# -- creating users -------------------------------------------------------------------------------


def test_the_first_admin_is_created_with_a_password_from_stdin(
    database: str, registry: Registry
) -> None:
    result = command(
        "create-user", "Kari", "--role", "admin", "--name", "Kari N", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "created admin 'kari' (Kari N), signs in with a password\n"
    kari = registry.authenticate("kari", PASSWORD)
    assert kari is not None
    assert (kari.role, kari.display_name) == ("admin", "Kari N")
    (event,) = registry.audit_events(action="user.create")
    assert event.actor.startswith("cli:")
    assert PASSWORD not in result.stdout + result.stderr


def test_a_weak_password_is_refused_with_exit_2_and_nothing_is_created(
    database: str, registry: Registry
) -> None:
    result = command("create-user", "kari", "--role", "admin", "--password-stdin", stdin="kort\n")
    assert result.returncode == 2
    assert "byggpuls admin: a password needs at least 10 characters; this one has 4" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert registry.users() == []


def test_without_a_terminal_it_asks_for_stdin_or_no_password(
    database: str, registry: Registry
) -> None:
    result = command("create-user", "kari", "--role", "admin")
    assert result.returncode == 2
    assert "--password-stdin" in result.stderr
    assert "--no-password" in result.stderr
    assert registry.users() == []


def test_at_a_terminal_the_password_is_asked_twice_and_not_shown(
    database: str, registry: Registry
) -> None:
    code, shown = at_a_terminal(
        "create-user", "kari", "--role", "admin",
        answers=[("Password for kari: ", PASSWORD), ("Again: ", PASSWORD)],
    )  # fmt: skip
    assert code == 0, shown
    assert "<Password for kari: ><Again: >" in shown.replace("\r", "").replace("\n", "")
    assert PASSWORD not in shown  # no echo
    assert "created admin 'kari'" in shown
    assert registry.authenticate("kari", PASSWORD) is not None


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        ([("Password for kari: ", PASSWORD), ("Again: ", PASSWORD + "!")], "differ"),
        ([("Password for kari: ", "kort")], "at least 10 characters"),
    ],
    ids=["different", "weak"],
)
def test_at_a_terminal_a_mistyped_or_weak_password_is_refused(
    database: str, registry: Registry, answers: list[tuple[str, str]], says: str
) -> None:
    code, shown = at_a_terminal("create-user", "kari", "--role", "admin", answers=answers)
    assert code == 2, shown
    assert says in shown
    assert registry.users() == []


def test_a_manager_gets_the_buildings_named(run: Run, registry: Registry) -> None:
    for id in ("bergen-skole-1", "bergen-kontor-1"):
        registry.upsert_building(BuildingInfo(id=id, name=id, type="school"))
    code, out, err = run(
        "admin", "create-user", "ola", "--role", "manager", "--no-password",
        "--building", "bergen-skole-1", "--building", "bergen-kontor-1",
    )  # fmt: skip
    assert code == 0, err
    assert out == (
        "created manager 'ola' (ola), API keys only, buildings bergen-kontor-1, bergen-skole-1\n"
    )
    ola = registry.user("ola")
    assert ola is not None
    assert registry.building_scope(ola) == {"bergen-skole-1", "bergen-kontor-1"}


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--role", "manager", "--building", "nowhere"], 1, "no building 'nowhere'"),
        (["--role", "admin", "--building", "bergen-skole-1"], 2, "only a manager"),
    ],
)
def test_a_user_the_registry_refuses_is_said_on_one_line(
    run: Run, registry: Registry, args: list[str], code: int, says: str
) -> None:
    registry.upsert_building(BuildingInfo(id="bergen-skole-1", name="Skole", type="school"))
    result = run("admin", "create-user", "kari", "--no-password", *args)
    assert result[0] == code
    assert result[2].strip().splitlines()[-1].startswith(f"byggpuls admin: {says}")
    assert registry.users() == []


# -- keys, listing, disabling ---------------------------------------------------------------------


def test_a_key_is_printed_once_and_identifies_its_user(run: Run, registry: Registry) -> None:
    registry.create_user("innovasjon-as", role="partner", actor="test")
    code, out, err = run(
        "admin", "create-key", "innovasjon-as", "--name", "pilot", "--expires-days", "90"
    )
    assert code == 0, err
    token = out.strip()
    assert out == f"{token}\n"  # the token alone on stdout, for $(...)
    assert "will not be shown again" in err
    now = datetime.now(UTC)
    user = registry.key_user(token, now=now)
    assert user is not None
    assert user.username == "innovasjon-as"
    (key,) = registry.api_keys("innovasjon-as")
    assert key.key_id in err
    assert key.expires_at is not None
    assert now + timedelta(days=89) < key.expires_at <= now + timedelta(days=90)
    assert token not in repr(registry.audit_events())


def test_a_key_for_nobody_or_a_bad_expiry_is_refused(run: Run, registry: Registry) -> None:
    code, _, err = run("admin", "create-key", "nobody", "--name", "x")
    assert (code, err.strip().splitlines()[-1]) == (1, "byggpuls admin: no user 'nobody'")
    with pytest.raises(SystemExit) as refused:
        run("admin", "create-key", "nobody", "--name", "x", "--expires-days", "0")
    assert refused.value.code == 2


def test_list_users_shows_role_state_keys_and_buildings(run: Run, registry: Registry) -> None:
    code, out, err = run("admin", "list-users")
    assert (code, out) == (0, "")
    assert "no users yet" in err
    registry.upsert_building(BuildingInfo(id="bergen-skole-1", name="Skole", type="school"))
    registry.create_user("kari", role="admin", password=PASSWORD, actor="test")
    registry.create_user("ola", role="manager", buildings=["bergen-skole-1"], actor="test")
    registry.create_user("partner", role="partner", actor="test")
    registry.create_api_key("partner", name="pilot", actor="test")
    registry.set_user_disabled("ola", actor="test")

    code, out, _ = run("admin", "list-users")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows == [
        ["username", "role", "name", "state", "sign-in", "keys", "buildings"],
        ["kari", "admin", "kari", "active", "password", "0", "all"],
        ["ola", "manager", "ola", "disabled", "keys", "only", "0", "bergen-skole-1"],
        ["partner", "partner", "partner", "active", "keys", "only", "1", "by", "grants"],
    ]


def test_disable_user_and_revoke_key_take_effect(run: Run, registry: Registry) -> None:
    registry.create_user("kari", role="admin", password=PASSWORD, actor="test")
    key, token = registry.create_api_key("kari", name="BMS export", actor="test")

    code, out, err = run("admin", "revoke-key", key.key_id)
    assert (code, out) == (0, f"API key {key.key_id} is revoked\n"), err
    assert registry.key_user(token, now=datetime.now(UTC)) is None

    code, out, err = run("admin", "disable-user", "KARI")
    assert code == 0, err
    assert "'kari' is disabled" in out
    actions = [event.action for event in registry.audit_events()]
    assert actions[:2] == ["user.disable", "key.revoke"]
    assert registry.authenticate("kari", PASSWORD) is None

    assert run("admin", "disable-user", "nobody")[0] == 1
    assert run("admin", "revoke-key", "000000000000")[0] == 1


def test_help_lists_the_actions_with_examples() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "admin", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=REFUSAL_DEADLINE_S,
        check=False,
    )
    assert result.returncode == 0
    for action in ("create-user", "create-key", "list-users", "disable-user", "revoke-key"):
        assert action in result.stdout
    assert "examples:" in result.stdout
    assert "byggpuls admin create-user kari --role admin" in result.stdout
