"""Everyday money sums read in parts (kernel/agent/bills.py): each reading takes every number of the task or none."""
import pytest

from drivers.tools.calc import evaluate
from kernel.agent.bills import bill
from kernel.agent.sums import expressions


@pytest.mark.parametrize("task, value", [
    # the change for items bought, at a price each or alone
    ("I bought 3 notebooks at $4.25 each and a pen for $1.80, and paid with a $20 bill. How much change should I get?", 5.45),
    ("2 coffees at $3.60 each and a muffin for $2.95; I hand over a $20 note. What change do I get back?", 9.85),
    # a metered bill, and its fixed charge when there is one
    ("I used 640 kWh of electricity this month. The rate is $0.15 per kWh plus a fixed $12 service charge. "
     "How much is my bill?", 108),
    ("A taxi charges a $3.50 base fare plus $2.25 per mile. How much is a 12 mile ride?", 30.5),
    ("Gas is $3.89 a gallon and my tank takes 14 gallons. How much to fill it up?", 54.46),
    # an appliance's running cost, in kW or W, dollars or cents
    ("My space heater uses 1.5 kW and runs 6 hours a day. If electricity costs $0.14 per kWh, how much does it cost to "
     "run for 30 days?", 37.8),
    ("A 60 W bulb is left on 5 hours a day. At 12 cents per kWh, what does it cost per day?", 0.036),
    # a week's pay from the hours of each day
    ("This week I worked 7.5 hours Monday, 8.25 Tuesday, 6.75 Wednesday, 9 Thursday and 8.5 Friday. At $22.50 an hour, "
     "what's my pay for the week?", 900),
    ("I worked 6 hours on Saturday and 4.5 hours on Sunday at $16 per hour. How much did I earn?", 168),
    # the fuel for a trip, by litres per 100 km or miles per gallon
    ("Our road trip is 420 km, the car burns 6.5 liters per 100 km, and fuel is 1.80 per liter. How much will the fuel "
     "cost for the trip?", 49.14),
    ("My car gets 32 miles per gallon and gas is $3.45 a gallon. How much will the fuel cost for a 416-mile trip?", 44.85),
    # whole periods of saving: the last one counts whole
    ("If I put away $135 every month, how many months will it take before I have at least $2,000 saved?", 15),
    ("Saving $50 a week, how many weeks until I have $600?", 12),
    ("I already have $190 saved and I put away $45 every week. How many weeks until I have $1,000?", 18),  # from what is had
    ("If I put aside $35 every week, how many full weeks until I've saved at least $1,000?", 29),
    ("I'm driving 312 km. My car uses 6.5 liters of fuel per 100 km, and fuel costs 1.80 per liter. How much will the "
     "fuel for the trip cost?", 36.504),
])
def test_a_bill_is_read_as_a_person_sets_it_out(task, value):
    expr = bill(task)
    assert expr is not None and evaluate(expr) == pytest.approx(value, rel=1e-6)
    assert expressions(task)[0] == expr  # the calculator's first call takes it as written


@pytest.mark.parametrize("task", [
    "I bought 3 notebooks at $4.25 each and a pen, and paid with a $20 bill. How much change?",  # a price not given
    "I paid $20 for 3 notebooks. How much was each?",  # no change asked
    "I used 640 kWh this month at $0.15 per kWh and 30 litres of water. How much is my bill?",  # a number no part takes
    "I worked 8 hours a day for 5 days at $20 an hour. How much did I earn?",  # hours a day times days: not a list
    "I worked 38 hours and 6 hours of overtime at $20 an hour. What's my pay?",  # overtime is paid otherwise
    "If I save $135 every month, how many weeks until I have $2,000?",  # the period asked is not the one saved in
    "If I save $135 every month for 2 years, how much will I have after spending $400?",  # no period asked
])
def test_a_bill_that_no_reading_takes_whole_is_left_alone(task):
    assert bill(task) is None
