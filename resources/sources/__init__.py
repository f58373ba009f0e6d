"""Sales sources, one sub-package per system (``resources/sources/<vendor>/``):

- ``settings.py`` the pydantic model of the tenant's ``source:`` block (typed credentials and
  settings; all of them form the union of :mod:`resources.sources.settings`, validated when a
  tenant file is loaded);
- ``client.py`` the vendor's HTTP API on the shared base (:mod:`resources.http`);
- ``parser.py`` pure: the vendor's JSON → canonical frames (:mod:`core.frames`), no I/O;
- ``source.py`` the :class:`~resources.sources.base.SalesSource` reading one period.

Toporder pushes files instead (an inbox: ``activation``, ``inbox``, ``scan``, ``reports``).
:func:`resources.sources.registry.build_source` picks a tenant's source; rules several sources
share are in :mod:`resources.sources.common`.
"""
