using CarbonFunctions.Core.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace CarbonFunctions.Core.Tests.Simulation;

public sealed class ScaledClockTests
{
    private static readonly DateTimeOffset VirtualStart = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Runs_scale_times_faster_than_the_wall_clock_and_jumps_only_forward()
    {
        var wall = new FakeTimeProvider(new DateTimeOffset(2030, 5, 5, 12, 0, 0, TimeSpan.Zero));
        var clock = new ScaledClock(VirtualStart, 600, wall);

        wall.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(VirtualStart.AddMinutes(20), clock.GetUtcNow());

        clock.JumpTo(VirtualStart.AddHours(5));
        wall.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(VirtualStart.AddHours(5).AddMinutes(10), clock.GetUtcNow());

        clock.JumpTo(VirtualStart);
        Assert.Equal(VirtualStart.AddHours(5).AddMinutes(10), clock.GetUtcNow());
    }

    [Fact]
    public void A_held_clock_stands_at_its_start_until_released()
    {
        var wall = new FakeTimeProvider(new DateTimeOffset(2030, 5, 5, 12, 0, 0, TimeSpan.Zero));
        var clock = ScaledClock.Held(VirtualStart, 100, wall);

        wall.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(VirtualStart, clock.GetUtcNow());

        clock.Release();
        wall.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(VirtualStart.AddMinutes(5), clock.GetUtcNow());
    }

    [Fact]
    public void The_anchor_text_builds_a_clock_in_another_process_that_agrees()
    {
        var wall = new FakeTimeProvider(new DateTimeOffset(2030, 5, 5, 12, 0, 0, TimeSpan.Zero));
        var host = new ScaledClock(VirtualStart, 1200, wall);
        wall.Advance(TimeSpan.FromSeconds(7));
        host.JumpTo(VirtualStart.AddDays(1));

        var agent = ScaledClock.Parse(host.ToString(), wall);
        wall.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(host.GetUtcNow(), agent.GetUtcNow());
        Assert.Equal(1200, agent.Scale);
    }

    [Fact]
    public void Timers_run_scaled()
    {
        var wall = new FakeTimeProvider(new DateTimeOffset(2030, 5, 5, 12, 0, 0, TimeSpan.Zero));
        var clock = new ScaledClock(VirtualStart, 60, wall);
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromMinutes(5), Timeout.InfiniteTimeSpan);

        wall.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(0, fired);
        wall.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(1, fired);
    }

    [Theory]
    [InlineData("virtual=2026-12-01T00:00:00Z;wall=2026-12-01T00:00:00Z")]
    [InlineData("virtual=yesterday;wall=2026-12-01T00:00:00Z;scale=10")]
    [InlineData("virtual=2026-12-01T00:00:00Z;wall=2026-12-01T00:00:00Z;scale=0")]
    [InlineData("")]
    public void A_bad_anchor_is_refused(string text)
    {
        var error = Record.Exception(() => ScaledClock.Parse(text));
        Assert.True(error is FormatException or ArgumentOutOfRangeException, $"'{text}' gave {error?.GetType().Name ?? "no error"}");
    }
}
