using System.Diagnostics;
using System.Text;
using CarbonFunctions.Storage.Azurite;

namespace CarbonFunctions.Testing;

/// <summary>
/// Azurite with its data in a folder on disk (<c>--location</c>) instead of in memory, so that it can be stopped and
/// started again on the same data: the crash tests restart the storage emulator as well as the host. Each start takes
/// new free ports (the data does not depend on them); stopping is graceful (SIGTERM), so that Azurite writes its
/// metadata out, as a real storage service keeps what it acknowledged.
/// </summary>
public sealed class DiskAzurite : IAsyncDisposable
{
    private readonly string _executable;
    private Process? _process;
    private readonly StringBuilder _output = new();

    private DiskAzurite(string location, string executable)
    {
        Location = location;
        _executable = executable;
    }

    /// <summary>The folder that holds the emulator's data.</summary>
    public string Location { get; }

    public string ConnectionString { get; private set; } = "";

    /// <summary>How many times it has been started on this location.</summary>
    public int Starts { get; private set; }

    public static async Task<DiskAzurite> StartAsync(string location, TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(location);
        var executable = AzuriteProcess.FindExecutable(AppContext.BaseDirectory) ?? AzuriteProcess.FindExecutable(Directory.GetCurrentDirectory())
            ?? throw new InvalidOperationException("Azurite is not installed: run 'npm ci' in the repository root.");
        var azurite = new DiskAzurite(location, executable);
        await azurite.StartAgainAsync(timeout);
        return azurite;
    }

    /// <summary>Starts it (again) on its location, on fresh ports if another process took one first; it must be stopped.</summary>
    public async Task StartAgainAsync(TimeSpan? timeout = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnFreePortsAsync(timeout);
                return;
            }
            catch (PortTakenException) when (attempt < AzuriteProcess.PortAttempts)
            {
                // A port was free when chosen and taken before Azurite bound it (tests start several at once).
            }
        }
    }

    private async Task StartOnFreePortsAsync(TimeSpan? timeout)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("Azurite is still running");
        }

        var (blob, queue, table) = AzuriteProcess.FreePorts();
        var start = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "--silent", "--location", Location, "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", Port(blob), "--queueHost", "127.0.0.1", "--queuePort", Port(queue),
            "--tableHost", "127.0.0.1", "--tablePort", Port(table),
        })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_executable}");
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (!AzuriteProcess.ListeningOn(Output, blob, queue, table))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                var message = $"Azurite on {Location} did not start listening: {Output}";
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }

                throw AzuriteProcess.LostAPort(Output) ? new PortTakenException(message) : new InvalidOperationException(message);
            }

            await Task.Delay(100);
        }

        Starts++;
        ConnectionString =
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AzuriteProcess.DevelopmentAccountKey + ";" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
    }

    /// <summary>Stops it with SIGTERM and waits for it to exit (SIGKILL after <paramref name="grace"/>).</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            await term!.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(grace ?? TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process?.Dispose();
        try
        {
            Directory.Delete(Location, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp clean-up.
        }
    }

    private void Log(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
