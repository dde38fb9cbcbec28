using ActiveGate.Coap.Stack;

namespace ActiveGate.Coap.Tests.Stack;

public sealed class CoapTransmissionParametersTests
{
    [Fact]
    public void Defaults_derive_the_rfc7252_times()
    {
        var p = CoapTransmissionParameters.Default;

        Assert.Equal(TimeSpan.FromSeconds(45), p.MaxTransmitSpan);
        Assert.Equal(TimeSpan.FromSeconds(93), p.MaxTransmitWait);
        Assert.Equal(TimeSpan.FromSeconds(247), p.ExchangeLifetime);
        Assert.Equal(TimeSpan.FromSeconds(145), p.NonLifetime);
        Assert.Equal(1, p.NStart);
    }

    [Fact]
    public void Derived_times_follow_changed_parameters()
    {
        var p = CoapTransmissionParameters.Default with { AckTimeout = TimeSpan.FromSeconds(4), MaxRetransmit = 2, AckRandomFactor = 1 };

        Assert.Equal(TimeSpan.FromSeconds(12), p.MaxTransmitSpan); // 4 × 3 × 1
        Assert.Equal(TimeSpan.FromSeconds(28), p.MaxTransmitWait); // 4 × 7 × 1
        Assert.Equal(TimeSpan.FromSeconds(12 + 200 + 4), p.ExchangeLifetime);
    }

    [Fact]
    public void Invalid_values_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapTransmissionParameters.Default with { AckTimeout = TimeSpan.FromMilliseconds(999) });
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapTransmissionParameters.Default with { AckRandomFactor = 0.99 });
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapTransmissionParameters.Default with { AckRandomFactor = double.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapTransmissionParameters.Default with { NStart = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => CoapTransmissionParameters.Default with { MaxRetransmit = -1 });
    }

    [Fact]
    public void Initial_timeout_lies_between_ack_timeout_and_ack_timeout_times_factor()
    {
        var p = CoapTransmissionParameters.Default;
        for (int i = 0; i < 1000; i++)
        {
            TimeSpan t = p.NextInitialTimeout();
            Assert.InRange(t, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        }
    }
}
