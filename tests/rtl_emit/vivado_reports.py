"""Vivado reports for the parser's tests. Vivado cannot run here: these were WRITTEN BY HAND in the
plain-text layout that Vivado's report_utilization and report_timing_summary print (UG906, and the
public reports of Vivado 2018-2023 it was checked against); the counts are invented.
"""

UTILIZATION_ULTRASCALE = """\
Copyright 1986-2022 Xilinx, Inc. All Rights Reserved.
---------------------------------------------------------------------------------------------------
| Tool Version : Vivado v.2023.1 (lin64) Build 0000000 (hand-written for adderflow's tests)
| Command      : report_utilization -file vivado_adderflow_top/utilization_route.rpt
| Design       : adderflow_top
| Device       : xcvu13p-flga2577-2-e
| Design State : Routed
---------------------------------------------------------------------------------------------------

Utilization Design Information

Table of Contents
-----------------
1. CLB Logic
1.1 Summary of Registers by Type
2. CLB Logic Distribution
3. BLOCKRAM
4. ARITHMETIC
5. Primitives

1. CLB Logic
------------

+----------------------------+------+-------+------------+-----------+-------+
|          Site Type         | Used | Fixed | Prohibited | Available | Util% |
+----------------------------+------+-------+------------+-----------+-------+
| CLB LUTs*                  | 1234 |     0 |          0 |   1728000 |  0.07 |
|   LUT as Logic             | 1201 |     0 |          0 |   1728000 |  0.07 |
|   LUT as Memory            |   33 |     0 |          0 |    791040 | <0.01 |
|     LUT as Distributed RAM |    0 |     0 |            |           |       |
|     LUT as Shift Register  |   33 |     0 |            |           |       |
| CLB Registers              |  567 |     0 |          0 |   3456000 |  0.02 |
|   Register as Flip Flop    |  567 |     0 |          0 |   3456000 |  0.02 |
|   Register as Latch        |    0 |     0 |          0 |   3456000 |  0.00 |
| CARRY8                     |  142 |     0 |          0 |    216000 |  0.07 |
| F7 Muxes                   |    0 |     0 |          0 |    864000 |  0.00 |
+----------------------------+------+-------+------------+-----------+-------+
* Warning! LUT value is adjusted to account for LUT combining.


2. CLB Logic Distribution
-------------------------

+--------------------------------------------+------+-------+------------+-----------+-------+
|                  Site Type                 | Used | Fixed | Prohibited | Available | Util% |
+--------------------------------------------+------+-------+------------+-----------+-------+
| CLB                                        |  210 |     0 |          0 |    216000 |  0.10 |
|   CLBL                                     |  120 |     0 |            |           |       |
|   CLBM                                     |   90 |     0 |            |           |       |
| LUT as Logic                               | 1201 |     0 |          0 |   1728000 |  0.07 |
+--------------------------------------------+------+-------+------------+-----------+-------+


3. BLOCKRAM
-----------

+-------------------+------+-------+------------+-----------+-------+
|     Site Type     | Used | Fixed | Prohibited | Available | Util% |
+-------------------+------+-------+------------+-----------+-------+
| Block RAM Tile    |  1.5 |     0 |          0 |      2688 |  0.06 |
|   RAMB36/FIFO*    |    1 |     0 |          0 |      2688 |  0.04 |
|   RAMB18          |    1 |     0 |          0 |      5376 |  0.02 |
| URAM              |    0 |     0 |          0 |      1280 |  0.00 |
+-------------------+------+-------+------------+-----------+-------+


4. ARITHMETIC
-------------

+-----------+------+-------+------------+-----------+-------+
| Site Type | Used | Fixed | Prohibited | Available | Util% |
+-----------+------+-------+------------+-----------+-------+
| DSPs      |    2 |     0 |          0 |     12288 |  0.02 |
|   DSP48E2 |    2 |       |            |           |       |
+-----------+------+-------+------------+-----------+-------+


5. Primitives
-------------

+----------+------+---------------------+
| Ref Name | Used | Functional Category |
+----------+------+---------------------+
| LUT2     |  700 |                 CLB |
| FDRE     |  567 |            Register |
| CARRY8   |  142 |                 CLB |
| DSP48E2  |    2 |          Arithmetic |
+----------+------+---------------------+
"""

UTILIZATION_7SERIES = """\
| Design       : adderflow_top
| Device       : 7a35tcsg324-1
| Design State : Routed

1. Slice Logic
--------------

+-------------------------+------+-------+-----------+-------+
|        Site Type        | Used | Fixed | Available | Util% |
+-------------------------+------+-------+-----------+-------+
| Slice LUTs              |  812 |     0 |     20800 |  3.90 |
|   LUT as Logic          |  812 |     0 |     20800 |  3.90 |
| Slice Registers         |  300 |     0 |     41600 |  0.72 |
|   Register as Flip Flop |  300 |     0 |     41600 |  0.72 |
+-------------------------+------+-------+-----------+-------+

2. Memory
---------

+----------------+------+-------+-----------+-------+
|    Site Type   | Used | Fixed | Available | Util% |
+----------------+------+-------+-----------+-------+
| Block RAM Tile |    0 |     0 |        50 |  0.00 |
+----------------+------+-------+-----------+-------+

3. DSP
------

+-----------+------+-------+-----------+-------+
| Site Type | Used | Fixed | Available | Util% |
+-----------+------+-------+-----------+-------+
| DSPs      |    0 |     0 |        90 |  0.00 |
+-----------+------+-------+-----------+-------+
"""

_TIMING = """\
Copyright 1986-2022 Xilinx, Inc. All Rights Reserved.
------------------------------------------------------------------------------------------------
| Tool Version      : Vivado v.2023.1 (lin64) (hand-written for adderflow's tests)
| Command           : report_timing_summary -max_paths 10 -file vivado_adderflow_top/timing_route.rpt
| Design            : adderflow_top
| Device            : xcvu13p-flga2577
| Speed File        : -2  PRODUCTION 1.29
------------------------------------------------------------------------------------------------

Timing Summary Report

------------------------------------------------------------------------------------------------
| Timer Settings
| --------------
------------------------------------------------------------------------------------------------

  Enable Multi Corner Analysis               :  Yes
  Enable Pessimism Removal                   :  Yes


check_timing report

Table of Contents
-----------------
1. checking no_clock (0)

1. checking no_clock (0)
------------------------
 There are 0 register/latch pins with no clock.



------------------------------------------------------------------------------------------------
| Design Timing Summary
| ---------------------
------------------------------------------------------------------------------------------------

    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)  THS Failing Endpoints  THS Total Endpoints     WPWS(ns)     TPWS(ns)  TPWS Failing Endpoints  TPWS Total Endpoints
    -------      -------  ---------------------  -------------------      -------      -------  ---------------------  -------------------     --------     --------  ----------------------  --------------------
{wns:>11}  {tns:>11}  {fail:>21}                  846        0.031        0.000                      0                  846        0.975        0.000                       0                   568


{verdict}


------------------------------------------------------------------------------------------------
| Clock Summary
| -------------
------------------------------------------------------------------------------------------------

Clock  Waveform(ns)       Period(ns)      Frequency(MHz)
-----  ------------       ----------      --------------
{clocks}

------------------------------------------------------------------------------------------------
| Intra Clock Table
| -----------------
------------------------------------------------------------------------------------------------

Clock             WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)
-----             -------      -------  ---------------------  -------------------      -------      -------
clk              {wns:>10}   {tns:>10}  {fail:>21}                  846        0.031        0.000


------------------------------------------------------------------------------------------------
| Timing Details
| --------------
------------------------------------------------------------------------------------------------

Setup :            0  Failing Endpoints,  Worst Slack        {wns}ns,  Total Violation        {tns}ns
"""


def timing_report(wns: str, tns: str = "0.000", fail: int = 0, period: str | None = "2.500") -> str:
    """A report_timing_summary in Vivado's layout; period None: a design without a clock."""
    verdict = ("All user specified timing constraints are met." if not wns.startswith("-")
               else "Timing constraints are not met.")
    half = f"{float(period) / 2:.3f}" if period else ""
    clocks = f"clk    {{0.000 {half}}}      {period}           {1000 / float(period):.3f}\n" if period else ""
    return _TIMING.format(wns=wns, tns=tns, fail=fail, verdict=verdict, clocks=clocks)
