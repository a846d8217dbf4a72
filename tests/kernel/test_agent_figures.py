"""Shapes, multiples and rates read in parts (kernel/agent/figures.py), and the operator words and percent forms
of kernel/agent/sums.py: each reading takes every number of the task or none."""
import pytest

from drivers.tools.calc import evaluate
from kernel.agent.figures import figure
from kernel.agent.sums import expressions


@pytest.mark.parametrize("task, value", [
    ("What is the perimeter of a rectangle 12 cm by 7 cm?", 38),
    ("How much fencing do I need to go around a garden that is 15 m by 9 m?", 48),
    ("A box is 3 m long, 4 m wide and 5 m high. What is its volume?", 60),
    ("What is the area of a circle with a radius of 4 cm?", 50.26548245743669),
    ("A round table has a diameter of 1.2 m. What is its circumference?", 3.769911184307752),
    ("Sarah is 3 times as old as her son, who is 12. How old is Sarah?", 36),
    ("My brother has twice as many stamps as me. I have 45. How many does he have?", 90),
    ("A class has 28 students and 3/4 of them passed. How many passed?", 21),
    ("Tickets cost $12 for adults and $7 for kids. How much for 2 adults and 3 kids?", 45),
    ("A ferry ticket costs 14 euros for adults and 6 euros for children. What do 3 adults and 4 kids pay?", 66),
    ("I walk 4 km every day. How many km do I walk in 3 weeks?", 84),
    ("If I put away $175 every month, how much will I have saved after 2 years?", 4200),
])
def test_a_figure_is_read_as_a_person_sets_it_out(task, value):
    expr = figure(task)
    assert expr is not None and evaluate(expr) == pytest.approx(value)
    assert expressions(task)[0] == expr


@pytest.mark.parametrize("task", [
    "A box is 3 m long and 4 m wide. What is its volume?",  # two sides: no box
    "Sarah is 3 times as old as her son. How old is Sarah?",  # no age to multiply
    "Ana has 3 times as many marbles as Joe. Joe has 14 marbles. How many marbles do they have together?",  # a sum
    "I walk 4 km every day. How many km do I walk in 2 months?",  # a month is no fixed count of days
    "I walk 4 km every day. How many days to walk 84 km?",  # a count of days asked: not a total
    "Tickets cost $12 for adults and $7 for kids. How much for 2 adults, 3 kids and a dog?",  # a dog has no price
])
def test_a_figure_that_no_reading_takes_whole_is_left_alone(task):
    assert figure(task) is None


@pytest.mark.parametrize("task, first, value", [
    ("Triple 45 and then subtract 20.", "(45 * 3) - 20", 115),
    ("Double 37 and add 16.", "(37 * 2) + 16", 90),
    ("What is half of 250 plus a quarter of 80?", "(250 / 2) + (80 / 4)", 145),
    ("What is the cube root of 512?", "(512 ^ (1 / 3))", 8),
    ("Divide 1,000 by 8, then multiply by 3.", "(1,000 / 8) * 3", 375),  # the first step whole, then the second
    ("What's 3/4 as a percentage?", "3 / 4 * 100", 75),
    ("I scored 42 out of 50 on a test. What percentage is that?", "42 / 50 * 100", 84),
    ("I bought a bike for $240 and sold it for $300. What was my percentage profit?", "(300 - 240) / 240 * 100", 25),
    ("If a shirt costs $40 after a 20% discount, what was the original price?", "40 / (1 - 20 / 100)", 50),
    ("I paid $54 including 8% tax. What was the price before tax?", "54 / (1 + 8 / 100)", 50),
    ("A tank holds 60 litres and is 35% full. How many litres are in it?", "60 * 35 / 100", 21),
    ("A car travels 150 km on 12 litres. How far can it go on 20 litres?", "150 * 20 / 12", 250),
    # numbers said in words are numbers
    ("seven hundred twelve minus three hundred eighty-nine", "712 - 389", 323),
    ("What is seventeen times twenty-three?", "17 * 23", 391),
    ("one thousand two hundred minus three hundred forty-seven", "1200 - 347", 853),
    ("Work out eighteen percent of 245.", "18 / 100 * 245", 44.1),  # a number word before an operator, beside digits
    ("How many kilometers is 5 miles, if one mile is 1.609 km?", "5 * 1.609", 8.045),
    ("What is 2 raised to the 15th power?", "2 ^ 15", 32768),
    ("Two raised to the twelfth power equals what?", "2 ^ 12", 4096),
    ("(48 + 52) × 3 − 7²", "(48 + 52) * 3 - 7 ^ 2", 251),  # a superscript square
    ("Using 1 mile = 1.609 km, how many kilometres is a 26.2-mile marathon?", "26.2 * 1.609", 42.1558),
    ("A quiz has 40 questions, each worth the same. Sam got 7 of them wrong. What percentage did he score?",
     "(40 - 7) / 40 * 100", 82.5),
    ("Three of us are splitting a restaurant bill of $87.60 equally. How much does each person pay?", "87.60 / 3", 29.2),
    # a percentage change with words between its amounts; a coupon after a discount; each one's own part of a split
    ("My phone bill went from $80 last month to $92 this month. By what percent did it increase?", "(92 - 80) / 80 * 100", 15),
    ("A jacket is priced at $120 and is marked 35% off. At the register I also use a $10 coupon after the discount. "
     "What do I end up paying?", "120 * (1 - 35 / 100) - 10", 68),
    ("Three friends split a $147 restaurant bill evenly, and each also chips in $4 for parking. How much does each "
     "person pay altogether?", "(147) / 3 + 4", 53),
])
def test_operator_words_and_percent_forms(task, first, value):
    assert expressions(task)[0] == first and evaluate(first) == pytest.approx(value)


def test_a_share_the_task_negates_is_not_read_as_the_share():
    # "20 percent did not sprout ... how many sprouted" is the rest, not the share: left to pal
    assert expressions("Out of 250 seeds, 20 percent did not sprout. How many seeds sprouted?") == []
