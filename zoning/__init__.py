"""zoning: livestock-farming exclusion zones (畜禽养殖禁养区) from vector layers.

Modules by task (import the module, call its functions):

- ``zoning.scheme``      county scheme file, published table and plan facts
- ``zoning.layers``      read and validate vector inputs
- ``zoning.crs``         working CRS, area methods, coordinate notations
- ``zoning.geoprocess``  pure vectorised geometry (strips, unions, overlaps, areas)
- ``zoning.delineate``   draft water-source protection zones (HJ 338-2018)
- ``zoning.pipeline``    build: scheme + layers -> zones GeoPackage
- ``zoning.reconcile``   published vs computed, report writers
- ``zoning.sitecheck``   farm sites -> zones and verdicts
- ``zoning.maps``, ``zoning.raster``  web map and GeoTIFF from the zones GeoPackage
- ``zoning.rules``       the county's other rule tables
"""

__version__ = "0.1.0"
