"""Market data: the Alltick vendor client (`marketdata.alltick`) and its simulator."""
