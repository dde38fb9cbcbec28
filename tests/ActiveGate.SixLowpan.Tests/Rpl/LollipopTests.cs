using ActiveGate.SixLowpan.Rpl;

namespace ActiveGate.SixLowpan.Tests.Rpl;

public class LollipopTests
{
    [Theory]
    [InlineData(240, 241)]
    [InlineData(254, 255)]
    [InlineData(255, 0)] // leaves the stick for the circle
    [InlineData(126, 127)]
    [InlineData(127, 0)] // the circle wraps
    public void Increment(byte from, byte to) => Assert.Equal(to, Lollipop.Increment(from));

    [Theory]
    [InlineData(241, 240, true)]
    [InlineData(240, 241, false)]
    [InlineData(240, 240, false)]
    [InlineData(0, 255, true)] // just left the stick
    [InlineData(5, 250, true)] // 256 + 5 − 250 = 11 ≤ window
    [InlineData(100, 250, false)] // far: the stick value (a rebooted node) wins...
    [InlineData(250, 100, true)] // ...so a reboot is noticed at once
    [InlineData(0, 127, true)] // circular wrap
    [InlineData(127, 0, false)]
    [InlineData(10, 5, true)]
    [InlineData(5, 10, false)]
    [InlineData(128, 200, true)] // stick values too far apart resynchronise
    public void Newer(byte candidate, byte current, bool newer) => Assert.Equal(newer, Lollipop.IsNewer(candidate, current));
}
