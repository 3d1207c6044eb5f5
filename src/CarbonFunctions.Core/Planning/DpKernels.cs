using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CarbonFunctions.Core.Planning;

/// <summary>
/// The inner loops of the slot programmes, over a contiguous range of work-left values x: element-wise
/// "take the cheaper of two options, ties to the first", with the decision of every x packed into one bit
/// of a row of ulongs. Vectorised with Vector512 or Vector256 where the hardware has it; every lane does
/// exactly the scalar arithmetic (same additions, same tolerance), so the result does not depend on the path.
/// </summary>
internal static class DpKernels
{
    private const double Relative = 1e-12;

    /// <summary>The tie tolerance of a comparison against <paramref name="value"/>: relative, +∞ for +∞ (so the other option wins the tie).</summary>
    /// <remarks>
    /// For finite values this is the tolerance the planner has always used; for +∞ it gives value + tolerance = +∞,
    /// exactly what a zero tolerance gives, so "a ≤ b + Tolerance(b)" is the same comparison in every lane.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tolerance(double value) => Relative * Math.Max(1, Math.Abs(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Bit(ulong[] bits, int row, int x) => ((bits[row + (x >> 6)] >> (x & 63)) & 1) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetBit(ulong[]? bits, int row, int x, bool value)
    {
        if (bits is null)
        {
            return;
        }

        ref var word = ref bits[row + (x >> 6)];
        var mask = 1UL << (x & 63);
        word = value ? word | mask : word & ~mask;
    }

    /// <summary>
    /// For x in [lo, hi]: start = suffix + first[x + shift] against wait = waiting[x]; fresh[x] = the cheaper,
    /// ties to start; the bit is 1 where start wins. Entries below lo in the first vector may be written too.
    /// </summary>
    public static void StartOrWait(double[] waiting, double[] first, double[] fresh, double suffix, int shift, int lo, int hi, ulong[]? bits, int row)
    {
        var x = lo;
        ref var w = ref MemoryMarshal.GetArrayDataReference(waiting);
        ref var f = ref MemoryMarshal.GetArrayDataReference(first);
        ref var o = ref MemoryMarshal.GetArrayDataReference(fresh);
        if (Vector512.IsHardwareAccelerated)
        {
            x = lo & ~7;
            var add = Vector512.Create(suffix);
            var one = Vector512<double>.One;
            var rel = Vector512.Create(Relative);
            for (; x + 7 <= hi; x += 8)
            {
                var wait = Vector512.LoadUnsafe(ref w, (nuint)x);
                var start = add + Vector512.LoadUnsafe(ref f, (nuint)(x + shift));
                var wins = Vector512.LessThanOrEqual(start, wait + (rel * Vector512.Max(one, Vector512.Abs(wait))));
                Vector512.ConditionalSelect(wins, start, wait).StoreUnsafe(ref o, (nuint)x);
                Store(bits, row, x, wins.ExtractMostSignificantBits(), 0xFFUL);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            x = lo & ~3;
            var add = Vector256.Create(suffix);
            var one = Vector256<double>.One;
            var rel = Vector256.Create(Relative);
            for (; x + 3 <= hi; x += 4)
            {
                var wait = Vector256.LoadUnsafe(ref w, (nuint)x);
                var start = add + Vector256.LoadUnsafe(ref f, (nuint)(x + shift));
                var wins = Vector256.LessThanOrEqual(start, wait + (rel * Vector256.Max(one, Vector256.Abs(wait))));
                Vector256.ConditionalSelect(wins, start, wait).StoreUnsafe(ref o, (nuint)x);
                Store(bits, row, x, wins.ExtractMostSignificantBits(), 0xFUL);
            }
        }

        for (; x <= hi; x++)
        {
            var wait = waiting[x];
            var start = suffix + first[x + shift];
            var wins = start <= wait + Tolerance(wait);
            fresh[x] = wins ? start : wait;
            SetBit(bits, row, x, wins);
        }
    }

    /// <summary>
    /// For x in [lo, hi]: go = running[x + b] against pause = idle[x] − suffix; fresh[x + b] = the cheaper, ties
    /// to go; the bit is 1 where go wins. Entries below lo in the first vector may be written too.
    /// </summary>
    public static void RunOrPause(double[] running, double[] idle, double[] fresh, double suffix, int b, int lo, int hi, ulong[]? bits, int row)
    {
        var x = lo;
        ref var r = ref MemoryMarshal.GetArrayDataReference(running);
        ref var i = ref MemoryMarshal.GetArrayDataReference(idle);
        ref var o = ref MemoryMarshal.GetArrayDataReference(fresh);
        if (Vector512.IsHardwareAccelerated)
        {
            x = lo & ~7;
            var sub = Vector512.Create(suffix);
            var one = Vector512<double>.One;
            var rel = Vector512.Create(Relative);
            for (; x + 7 <= hi; x += 8)
            {
                var go = Vector512.LoadUnsafe(ref r, (nuint)(x + b));
                var pause = Vector512.LoadUnsafe(ref i, (nuint)x) - sub;
                var wins = Vector512.LessThanOrEqual(go, pause + (rel * Vector512.Max(one, Vector512.Abs(pause))));
                Vector512.ConditionalSelect(wins, go, pause).StoreUnsafe(ref o, (nuint)(x + b));
                Store(bits, row, x, wins.ExtractMostSignificantBits(), 0xFFUL);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            x = lo & ~3;
            var sub = Vector256.Create(suffix);
            var one = Vector256<double>.One;
            var rel = Vector256.Create(Relative);
            for (; x + 3 <= hi; x += 4)
            {
                var go = Vector256.LoadUnsafe(ref r, (nuint)(x + b));
                var pause = Vector256.LoadUnsafe(ref i, (nuint)x) - sub;
                var wins = Vector256.LessThanOrEqual(go, pause + (rel * Vector256.Max(one, Vector256.Abs(pause))));
                Vector256.ConditionalSelect(wins, go, pause).StoreUnsafe(ref o, (nuint)(x + b));
                Store(bits, row, x, wins.ExtractMostSignificantBits(), 0xFUL);
            }
        }

        for (; x <= hi; x++)
        {
            var go = running[x + b];
            var pause = idle[x] - suffix;
            var wins = go <= pause + Tolerance(pause);
            fresh[x + b] = wins ? go : pause;
            SetBit(bits, row, x, wins);
        }
    }

    /// <summary>
    /// For x in [from, to]: keep the option go[goAt + x] (its choice goChoice[goChoiceAt + x]) unless
    /// other[otherAt + x] is cheaper beyond the tie tolerance, which then gives its value and choice 0; the result goes to
    /// value[valueAt + x] and choice[choiceAt + x] (which may be the option's own arrays).
    /// </summary>
    public static void GoOrOther(double[] go, int goAt, byte[] goChoice, int goChoiceAt, double[] other, int otherAt, double[] value, int valueAt, byte[] choice, int choiceAt, int from, int to)
    {
        var x = from;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            ref var g = ref MemoryMarshal.GetArrayDataReference(go);
            ref var a = ref MemoryMarshal.GetArrayDataReference(other);
            ref var v = ref MemoryMarshal.GetArrayDataReference(value);
            var one = Vector512<double>.One;
            var rel = Vector512.Create(Relative);
            for (; x + 7 <= to; x += 8)
            {
                var option = Vector512.LoadUnsafe(ref g, (nuint)(goAt + x));
                var alternative = Vector512.LoadUnsafe(ref a, (nuint)(otherAt + x));
                var keep = Vector512.LessThanOrEqual(option, alternative + (rel * Vector512.Max(one, Vector512.Abs(alternative))));
                Vector512.ConditionalSelect(keep, option, alternative).StoreUnsafe(ref v, (nuint)(valueAt + x));

                // 0xFF where the option stays, 0 where the other wins: one mask for the eight choice bytes.
                var mask = Avx512F.ConvertToVector128Byte(keep.AsInt64()).AsUInt64().ToScalar();
                var picks = Unsafe.ReadUnaligned<ulong>(ref goChoice[goChoiceAt + x]);
                Unsafe.WriteUnaligned(ref choice[choiceAt + x], picks & mask);
            }
        }

        for (; x <= to; x++)
        {
            var option = go[goAt + x];
            var alternative = other[otherAt + x];
            var keep = option <= alternative + Tolerance(alternative);
            choice[choiceAt + x] = keep ? goChoice[goChoiceAt + x] : (byte)0;
            value[valueAt + x] = keep ? option : alternative;
        }
    }

    /// <summary>
    /// Elastic: for x in [from, to], the cheapest pool size for one slot of cost <paramref name="cb"/> with x + shift
    /// quanta left: value[x + valueOffset] = min over sizes of nodes × cb + onward[pad + x + shift − work] and
    /// size[x + sizeOffset] = that size, 1-based; larger sizes win ties. <paramref name="onward"/> holds `pad`
    /// copies of its x = 0 entry in front, so work beyond what is left reads the "done" value.
    /// </summary>
    public static void BestSize(double[] onward, int pad, int shift, double cb, int[] nodes, int[] work, int from, int to, double[] value, int valueOffset, byte[] size, int sizeOffset)
    {
        var sizes = work.Length;
        var x = from;
        if (Vector512.IsHardwareAccelerated && sizes <= 255)
        {
            ref var on = ref MemoryMarshal.GetArrayDataReference(onward);
            ref var val = ref MemoryMarshal.GetArrayDataReference(value);
            var inf = Vector512.Create(double.PositiveInfinity);
            var one = Vector512<double>.One;
            var rel = Vector512.Create(Relative);
            for (; x + 7 <= to; x += 8)
            {
                var last = sizes - 1;
                var best = Vector512.Create(nodes[last] * cb) + Vector512.LoadUnsafe(ref on, (nuint)(pad + x + shift - work[last]));
                var pick = Vector512.Create((double)sizes);
                for (var k = last - 1; k >= 0; k--)
                {
                    var v = Vector512.Create(nodes[k] * cb) + Vector512.LoadUnsafe(ref on, (nuint)(pad + x + shift - work[k]));
                    var lower = Vector512.ConditionalSelect(Vector512.Equals(best, inf), best, best - (rel * Vector512.Max(one, Vector512.Abs(best))));
                    var better = Vector512.LessThan(v, lower);
                    best = Vector512.ConditionalSelect(better, v, best);
                    pick = Vector512.ConditionalSelect(better, Vector512.Create((double)(k + 1)), pick);
                }

                best.StoreUnsafe(ref val, (nuint)(x + valueOffset));
                if (Avx512F.IsSupported)
                {
                    // The eight sizes (small whole numbers) as bytes in one instruction, stored as one ulong.
                    var bytes = Avx512F.ConvertToVector128Byte(Vector512.ConvertToInt64(pick));
                    Unsafe.WriteUnaligned(ref size[sizeOffset + x], bytes.AsUInt64().ToScalar());
                }
                else
                {
                    for (var lane = 0; lane < 8; lane++)
                    {
                        size[sizeOffset + x + lane] = (byte)pick.GetElement(lane);
                    }
                }
            }
        }

        for (; x <= to; x++)
        {
            var best = double.PositiveInfinity;
            byte pick = 0;
            for (var k = sizes - 1; k >= 0; k--)
            {
                var v = (nodes[k] * cb) + onward[pad + x + shift - work[k]];
                if (pick == 0 || v < best - (double.IsPositiveInfinity(best) ? 0 : Tolerance(best)))
                {
                    (best, pick) = (v, (byte)(k + 1));
                }
            }

            value[x + valueOffset] = best;
            size[x + sizeOffset] = pick;
        }
    }

    /// <summary>Writes a vector's lane bits at x (a multiple of the lane count, which divides 64, so they never straddle words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ulong[]? bits, int row, int x, ulong lanes, ulong laneMask)
    {
        if (bits is null)
        {
            return;
        }

        ref var word = ref bits[row + (x >> 6)];
        var shift = x & 63;
        word = (word & ~(laneMask << shift)) | (lanes << shift);
    }
}
