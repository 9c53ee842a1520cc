"""Ruby's ``Exception#full_message``, as Avalon's supplemental-files controller sends it.

``SupplementalFilesController`` rescues ``Avalon::BadRequest`` and ``Avalon::NotFound``
with ``handle_error(message: exception.full_message, ...)`` (its lines 27-33), so the
error string a client gets names the server's files, line numbers, methods and gem
versions, one backtrace line after another. The frames here are those of the
controller at ``avalonmediasystem/avalon`` c6af9b36 under Ruby 3.4 (``'Class#method'``
quoting) in the project's Docker image (``WORKDIR /home/app/avalon``, gems of its
Gemfile.lock); the framework frames below the action are representative.
"""

from __future__ import annotations

from typing import Final

APP: Final = "/home/app/avalon"
SFC: Final = f"{APP}/app/controllers/supplemental_files_controller.rb"
_CLASS: Final = "SupplementalFilesController"
_GEMS: Final = "/usr/local/bundle/gems"
_FRAMEWORK: Final = (
    f"{_GEMS}/actionpack-8.0.2.1/lib/action_controller/metal/basic_implicit_render.rb:8"
    ":in 'ActionController::BasicImplicitRender#send_action'",
    f"{_GEMS}/actionpack-8.0.2.1/lib/abstract_controller/base.rb:226"
    ":in 'AbstractController::Base#process_action'",
    f"{_GEMS}/actionpack-8.0.2.1/lib/action_controller/metal/rendering.rb:193"
    ":in 'ActionController::Rendering#process_action'",
    f"{_GEMS}/activesupport-8.0.2.1/lib/active_support/callbacks.rb:120"
    ":in 'block in ActiveSupport::Callbacks#run_callbacks'",
    f"{APP}/app/controllers/application_controller.rb:127"
    ":in 'ApplicationController#handle_api_request'",
    f"{_GEMS}/activesupport-8.0.2.1/lib/active_support/callbacks.rb:129"
    ":in 'block in ActiveSupport::Callbacks#run_callbacks'",
    f"{_GEMS}/actionpack-8.0.2.1/lib/action_dispatch/routing/route_set.rb:39"
    ":in 'ActionDispatch::Routing::RouteSet::Dispatcher#serve'",
    f"{_GEMS}/rack-2.2.17/lib/rack/sendfile.rb:110:in 'Rack::Sendfile#call'",
    f"{_GEMS}/puma-6.6.0/lib/puma/thread_pool.rb:167:in 'block in Puma::ThreadPool#spawn_thread'",
)

# Where each action calls find_supplemental_file (its lines 194-201).
FINDS_IN: Final = {"show": 82, "update": 109, "destroy": 136}


def full_message(message: str, error: str, line: int, method: str, *callers: str) -> str:
    """``message`` raised as ``error`` at the controller's ``line`` in ``method``.

    ``callers`` are the controller frames above it, as ``"<line>:<method>"``.
    """
    frames = [f"{SFC}:{at}:in '{_CLASS}#{name}'" for at, name in (c.split(":") for c in callers)]
    head = f"{SFC}:{line}:in '{_CLASS}#{method}': {message} ({error})"
    return "\n\tfrom ".join([head, *frames, *_FRAMEWORK])


def bad_request(message: str, line: int, action: str) -> str:
    """The full message of ``Avalon::BadRequest`` raised in ``action`` at ``line``."""
    return full_message(message, "Avalon::BadRequest", line, action)


def not_found(message: str, line: int, action: str) -> str:
    """The full message of ``Avalon::NotFound`` from ``find_supplemental_file``."""
    caller = f"{FINDS_IN[action]}:{action}"
    return full_message(message, "Avalon::NotFound", line, "find_supplemental_file", caller)


def inspect(messages: list[str]) -> str:
    """A Ruby array of strings as ``Array#inspect`` shows it: ``raise SaveError, array``
    makes that the message (supplemental_files_controller.rb:59, 115)."""
    quoted = ('"' + m.replace("\\", "\\\\").replace('"', '\\"') + '"' for m in messages)
    return "[" + ", ".join(quoted) + "]"
