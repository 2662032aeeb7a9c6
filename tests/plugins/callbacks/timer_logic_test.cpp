// Lightning's Timer pieces (plugins/callbacks/timer_logic.hpp): the DD:HH:MM:SS syntax, Python's
// str(timedelta) and per-stage elapsed time with a restored training offset.
#include "../../plugins/callbacks/timer_logic.hpp"

#include <catch2/catch.hpp>

using namespace volt::callbacks;

TEST_CASE("timer: DD:HH:MM:SS durations", "[callbacks][timer]") {
  CHECK(parse_timer_duration("00:12:00:00") == Approx(12 * 3600.0));
  CHECK(parse_timer_duration("01:00:00:05") == Approx(86400.0 + 5));
  CHECK(parse_timer_duration("  2:00:30:00\n") == Approx(2 * 86400.0 + 1800));
  CHECK(parse_timer_duration("100:00:00:00") == Approx(100 * 86400.0));
  CHECK(parse_timer_duration("00:00:99:00") == Approx(99 * 60.0));  // timedelta normalises
  CHECK(parse_timer_duration("00:00:00:00") == Approx(0.0));
  CHECK_FALSE(parse_timer_duration("12:00:00"));
  CHECK_FALSE(parse_timer_duration("00:1:00:00"));
  CHECK_FALSE(parse_timer_duration(":00:00:00"));
  CHECK_FALSE(parse_timer_duration("aa:00:00:00"));
  CHECK_FALSE(parse_timer_duration("00:00:00:000"));
  CHECK_FALSE(parse_timer_duration(""));
}

TEST_CASE("timer: str(timedelta) for the stop message", "[callbacks][timer]") {
  CHECK(python_timedelta_str(0) == "0:00:00");
  CHECK(python_timedelta_str(5) == "0:00:05");
  CHECK(python_timedelta_str(3723) == "1:02:03");
  CHECK(python_timedelta_str(86400) == "1 day, 0:00:00");
  CHECK(python_timedelta_str(2 * 86400 + 61) == "2 days, 0:01:01");
}

TEST_CASE("timer: elapsed time per stage", "[callbacks][timer]") {
  StageClock c;
  CHECK(c.elapsed(TimerStage::Train, 100.0) == 0.0);
  c.start(TimerStage::Train, 10.0);
  CHECK(c.elapsed(TimerStage::Train, 15.0) == Approx(5.0));
  c.start(TimerStage::Validate, 12.0);
  c.end(TimerStage::Validate, 13.5);
  CHECK(c.elapsed(TimerStage::Validate, 99.0) == Approx(1.5));
  c.end(TimerStage::Train, 20.0);
  CHECK(c.elapsed(TimerStage::Train, 99.0) == Approx(10.0));
  CHECK(c.elapsed(TimerStage::Test, 99.0) == 0.0);
}

TEST_CASE("timer: a restored offset counts for training only", "[callbacks][timer]") {
  StageClock c;
  c.set_offset(30.0);
  CHECK(c.elapsed(TimerStage::Train, 0.0) == Approx(30.0));  // before on_train_start
  c.start(TimerStage::Train, 100.0);
  CHECK(c.elapsed(TimerStage::Train, 102.0) == Approx(32.0));
  c.start(TimerStage::Validate, 100.0);
  CHECK(c.elapsed(TimerStage::Validate, 102.0) == Approx(2.0));
}
