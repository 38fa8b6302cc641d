"""Solara's ``solara run`` with its CDN fetch off: ``python -m twin.dashboard.launch run ...``.

The server is Solara's own; this only turns its CDN proxy into a cache-only one first
(:func:`twin.dashboard.assets.forbid_cdn`), in the server's process, before any page
asks for an asset.
"""

from __future__ import annotations


def main() -> None:
    """Run Solara's command line (arguments from ``sys.argv``) with the CDN fetch off."""
    from solara.__main__ import main as solara_main

    from twin.dashboard.assets import forbid_cdn

    forbid_cdn()
    solara_main()


if __name__ == "__main__":
    main()
