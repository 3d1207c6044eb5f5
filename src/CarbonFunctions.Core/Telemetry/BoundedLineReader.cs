using System.Text;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Reads lines with a length limit, so that a garbage or NUL-padded tail without newlines cannot
/// grow a line without bound, and says whether each line was ended by a newline.
/// </summary>
internal sealed class BoundedLineReader(TextReader reader, int maxLength)
{
    private readonly StringBuilder _line = new();
    private readonly char[] _buffer = new char[64 * 1024];
    private int _position;
    private int _length;

    public long LineNumber { get; private set; }

    /// <summary>Next line without its end of line; null at the end. <paramref name="terminated"/> is false for a last line without a newline.</summary>
    public string? ReadLine(out bool terminated, out bool tooLong)
    {
        _line.Clear();
        tooLong = false;
        terminated = false;
        var any = false;
        while (true)
        {
            if (_position == _length)
            {
                _length = reader.Read(_buffer, 0, _buffer.Length);
                _position = 0;
                if (_length == 0)
                {
                    if (!any)
                    {
                        return null;
                    }

                    LineNumber++;
                    return Finish();
                }
            }

            any = true;
            var span = _buffer.AsSpan(_position, _length - _position);
            var newline = span.IndexOf('\n');
            var take = newline < 0 ? span : span[..newline];
            if (!tooLong)
            {
                if (_line.Length + take.Length > maxLength)
                {
                    tooLong = true;
                    _line.Append(take[..Math.Max(0, maxLength - _line.Length)]);
                }
                else
                {
                    _line.Append(take);
                }
            }

            if (newline >= 0)
            {
                _position += newline + 1;
                terminated = true;
                LineNumber++;
                return Finish();
            }

            _position = _length;
        }
    }

    private string Finish()
    {
        if (_line.Length > 0 && _line[^1] == '\r')
        {
            _line.Length--;
        }

        return _line.ToString();
    }
}
