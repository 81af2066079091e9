"""What a forkserver child runs: a module, as `python -m` would run it in a new interpreter.

Only the standard library here: the child imports this module before it becomes the command,
and nothing of the project may be imported before the command imports it.
"""

import atexit
import os
import runpy
import signal
import sys
import traceback


def run_module_as_main(
    module: str,
    args: list[str],
    env: dict[str, str],
    cwd: str,
    outputs: tuple[str, str],
    path: list[str],
) -> None:
    """The forked child: become `python -m module args...` run from `cwd` with `env`, its
    stdout and stderr appended to `outputs`, and `path` as its `sys.path`."""
    os.setsid()  # as `start_new_session=True`: a signal to the group reaches only this child
    for fd, output_path in zip((1, 2), outputs, strict=True):
        output = os.open(output_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(output, fd)
        os.close(output)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path[:] = path
    sys.argv = [module, *args]
    os._exit(_as_the_interpreter_would(module))


def _as_the_interpreter_would(module: str) -> int:
    """Run `module` as `python -m` does, then exit as the interpreter does: its atexit hooks,
    the exit status from `SystemExit`, a traceback and 1 for an uncaught exception."""
    try:
        # runpy's function behind `-m` (private, and there since Python 2): it also writes
        # the interpreter's one-line error for a module that cannot be found.
        runpy._run_module_as_main(module)  # type: ignore[attr-defined]
        status = 0
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except KeyboardInterrupt:  # the interpreter ends by the signal itself, after its hooks
        traceback.print_exc()
        _run_exit_hooks()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        status = 1
    except BaseException:  # what the interpreter prints for an exception nobody caught
        traceback.print_exc()
        status = 1
    _run_exit_hooks()
    return status


def _run_exit_hooks() -> None:
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
