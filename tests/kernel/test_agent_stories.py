"""Word problems read in parts (kernel/agent/stories.py): each reading takes every number of the task or none."""
import pytest

from drivers.tools.calc import evaluate
from kernel.agent.stories import story
from kernel.agent.sums import expressions


@pytest.mark.parametrize("task, value", [
    ("A recipe uses 3 cups of flour to make 12 cookies. How many cups do I need for 36 cookies?", 9),
    ("My cookie recipe uses 250 g of flour for 12 cookies. How many grams of flour do I need for 30 cookies?", 625),
    ("3 apples cost $1.50. How much do 7 apples cost?", 3.5),
    ("A car uses 8 litres of fuel per 100 km. How many litres for 250 km?", 20),
    ("3 t-shirts at 14.99 each plus 2 packs of socks at 4.50 each, what's the total", 53.97),
    ("I bought 3 shirts at $18.99 each and a pair of jeans for $42.50. What's the total?", 99.47),
    ("monthly budget: income 3200, rent 1150, food 420, transport 180, utilities 95. how much is left over?", 1355),
    ("What is the simple interest on $2,000 at 4% per year for 3 years? Just the interest, not the total.", 240),
    ("If I put $1000 in an account paying 10% interest compounded once a year, how much will be in it after 2 years?", 1210),
    ("In a class of 32 students the ratio of boys to girls is 3:5. How many girls are in the class?", 20),
    ("In a class of 32 students the ratio of boys to girls is 3:5. How many boys are in the class?", 12),
    ("A 24-pack of bottled water costs $5.76. How much is that per bottle?", 0.24),
    ("Dinner came to $186 all in and there are 4 of us splitting it evenly. How much does each person pay?", 46.5),
    ("How many centimeters is 7.5 inches? (1 inch = 2.54 cm)", 19.05),
    ("How many km is 10 miles if 1 km = 0.621 miles?", 10 / 0.621),  # the factor the other way: a division
    ("My electricity bill is $84.60 and my water bill is $37.25. If I set aside $150 to pay both, how much will I have left?",
     28.15),  # what is left is of the largest amount, wherever it stands
    ("A train covers 270 km in 2 hours and 15 minutes. What's its average speed in km/h?", 120),
    ("A cyclist rides 45 km in 90 minutes. What is her speed in km/h?", 30),
    ("My car went 312 km on 24 litres of fuel. How many km per litre is that?", 13),
    ("I ran 10 km in 52 minutes. What was my average pace in minutes per km?", 5.2),
    ("I'm driving 420 km and my car uses 6.5 litres per 100 km. How many litres of fuel will the trip take?", 27.3),
    ("A pancake recipe that serves 4 calls for 2.5 cups of flour. How many cups of flour do I need for 10 people?", 6.25),
    ("I make $22 an hour and get time-and-a-half for every hour over 40 in a week. I worked 47 hours this week. "
     "What's my gross pay?", 1111),
    ("I make $18 an hour. Last week I worked 46 hours, and anything over 40 hours is paid at time and a half. "
     "How much did I earn?", 882),
    ("How many kilometres is 5 miles, if 1 mile is 1.609 km?", 8.045),  # "miles" is a mile
    ("I deposit $5,000 in a savings account paying 4% interest compounded once a year. How much will be in the account "
     "after 3 years?", 5624.32),  # the years in another sentence
    ("The recipe says to bake at 180 °C but my oven is in Fahrenheit. What temperature in °F should I set?", 356),
    ("My bedroom is 4.2 m by 3.5 m and the flooring I like costs $38 per square metre. How much will it cost?", 558.6),
    ("Our monthly take-home pay is $4,800. Rent is $1,650, utilities are $210, groceries $640 and the car payment is "
     "$385. How much is left over each month?", 1915),  # "each month" is a time, not a share
    ("I ran 5 km in 27 minutes 30 seconds. What was my average pace in minutes per kilometre?", 5.5),
    ("A half marathon of 13.1 miles took me 1 hour 58 minutes. What pace is that in minutes per mile?", 118 / 13.1),
    ("I'm 5 feet 9 inches tall. How many centimetres is that, using 1 inch = 2.54 cm?", 175.26),
    ("How many centimeters tall is something that's 9 feet high? (1 inch = 2.54 cm)", 274.32),  # feet through inches
    ("My bedroom is 14 feet by 12 feet. Laminate flooring comes in boxes that each cover 20 square feet, and I can "
     "only buy whole boxes. How many boxes do I need?", 9),  # a part box is a whole box
])
def test_a_story_is_read_as_a_person_sets_it_out(task, value):
    expr = story(task)
    assert expr is not None and evaluate(expr) == pytest.approx(value)
    assert expressions(task)[0] == expr  # the calculator's first call takes it as written


@pytest.mark.parametrize("task", [
    "If 4 workers build a wall in 6 days, how many days would 8 workers take?",  # inverse: not scaled
    "I have 5 boxes with 12 pencils each. How many pencils are there?",  # two numbers: pal's
    "I had 20 apples and ate 3. How many are left?",  # two numbers
    "I bought 3 notebooks at $4.75 each and a pen. How much did I spend?",  # a price not given: no reading
    "Notebooks cost $4.75 each and a pen costs $1.20. I bought 3 notebooks and one pen. How much did I spend in total?",
    "I gave 3 friends 5 sweets each from my 40. How many are left?",  # "each": not a list of amounts spent
    "I earn $23.40 an hour and worked 37.5 hours this week. What's my gross pay before tax?",  # not a price for one
    "How many centimeters is 7.5 inches and 2 feet? (1 inch = 2.54 cm)",  # two measures: the factor is not enough
    "How long does it take to drive 300 km at 80 km/h?",  # a time asked, not a speed
])
def test_a_story_that_no_reading_takes_whole_is_left_alone(task):
    assert story(task) is None


@pytest.mark.parametrize("task, first, value", [
    ("Can you work out 1847 / 23, rounded to two decimal places?", "round((1847 / 23) * 100) / 100", 80.3),
    ("What is 22 / 7 to the nearest whole number?", "round(22 / 7)", 3),
    ("What is 10 / 3 rounded to the nearest cent?", "round((10 / 3) * 100) / 100", 3.33),
    ("What is 10 / 4?", "10 / 4", 2.5),  # no rounding asked, none done
    ("Calculate 17 × 23 − 64.", "17 * 23 - 64", 327),  # the minus sign, U+2212
    ("sqrt 729", "sqrt(729)", 27), ("Evaluate 2.4e3 ÷ 0.16", "(2.4 * 10 ^ 3) / 0.16", 15000),
    # a sum shared evenly: the count of people out, the rest read, each one's share
    ("Four of us are splitting a $138 cabin rental plus $26 of groceries evenly. How much does each person pay?",
     "(138 + 26) / 4", 41),
    ("Four of us had dinner and the bill came to $186.40. We're adding a 15% tip on the whole bill and splitting "
     "everything evenly. How much does each of us pay?", "(186.40 + 186.40 * 15 / 100) / 4", 53.59),
    ("A jacket is $120 and it's 25% off. Then 8% sales tax is added to the sale price. What do I actually pay?",
     "120 * (1 - 25 / 100) * (1 + 8 / 100)", 97.2),  # a discount, then tax on the sale price
])
def test_roundings_signs_as_printed_and_shares_are_part_of_the_sum(task, first, value):
    assert expressions(task)[0] == first and evaluate(first) == pytest.approx(value)
