using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Rpl;

internal static class FakeTimeSteps
{
    /// <summary>
    /// FakeTimeProvider.Advance fires each due timer once and re-arms it relative to the END of the
    /// advance, so a timer that re-schedules itself (Trickle) would be starved by one big jump. Real
    /// clocks tick; so do we.
    /// </summary>
    public static void Run(this FakeTimeProvider time, TimeSpan total, TimeSpan? step = null)
    {
        TimeSpan tick = step ?? TimeSpan.FromMilliseconds(16);
        TimeSpan done = TimeSpan.Zero;
        while (done < total)
        {
            TimeSpan next = total - done < tick ? total - done : tick;
            time.Advance(next);
            done += next;
        }
    }
}
