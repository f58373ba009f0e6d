"""Stock state kept in the warehouse (tables on ``resources.warehouse.METADATA``) and the goods
receipt PDF. The rules live in ``pipelines/stock``; this package only stores and renders."""
