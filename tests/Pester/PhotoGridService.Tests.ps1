<#
    Start-PhotoGridService against the real service: HttpListener on a free loopback port, the real model,
    Invoke-WebRequest as the client, a child pwsh that is killed mid-job, and the status page in headless
    Chromium. Every wait polls an observable condition with a generous timeout; nothing sleeps blindly.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Chromium.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    $script:root = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'root')).FullName
    $script:photos = (New-Item -ItemType Directory -Path (Join-Path $root 'photos')).FullName
    $script:many = (New-Item -ItemType Directory -Path (Join-Path $root 'many')).FullName
    $script:outside = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'outside')).FullName
    $script:hostileName = '<img src=x onerror=alert(1)>'

    # Nine photos in three colour families, so the grid is 3 x 3.
    $colors = @(@(220, 30, 30), @(200, 50, 40), @(230, 40, 60), @(30, 200, 40), @(50, 220, 30), @(40, 190, 60), @(30, 40, 220), @(50, 30, 200), @(40, 60, 230))
    for ($i = 0; $i -lt 9; $i++) {
        New-TestImage -Path (Join-Path $photos "photo-$i.jpg") -Width 48 -Height 36 -Color $colors[$i] -Pattern ('solid', 'gradient', 'checker')[$i % 3] | Out-Null
    }
    # Enough photos that a job is still running while a test acts on it (it is canceled, never waited for).
    # Copies of a few photos: writing 400 distinct ones would cost more than the test.
    $seeds = for ($i = 0; $i -lt 8; $i++) {
        New-TestImage -Path (Join-Path $many ('many-{0:d3}.png' -f $i)) -Width 40 -Height 30 -Color @((30 * $i), (255 - 30 * $i), 128) -Pattern checker
    }
    for ($i = 8; $i -lt 400; $i++) { [System.IO.File]::Copy($seeds[$i % 8].FullName, (Join-Path $many ('many-{0:d3}.png' -f $i))) }
    Set-Content -LiteralPath (Join-Path $photos 'broken.jpg') -Value 'this is not a JPEG'
    $script:secret = (New-TestImage -Path (Join-Path $outside 'secret.jpg') -Width 32 -Height 32).FullName
    # Links that lead out of the root: a folder, and a file inside the photos folder.
    New-Item -ItemType SymbolicLink -Path (Join-Path $root 'escape') -Target $outside | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $photos 'linked-secret.jpg') -Target $secret | Out-Null

    $script:service = Start-PhotoGridService -Root $root -StatePath (Join-Path $TestDrive 'state') -Port 0 -QueueLimit 1 -MaxRequestBytes 65536

    function Invoke-Api {
        <# One request; returns the status code, the parsed JSON body (if any) and the headers. #>
        param(
            [string] $Method = 'GET',
            [Parameter(Mandatory)] [string] $Uri,
            $Body,
            [string] $Key = $service.Key,
            $Service = $service
        )
        if (-not $Uri.StartsWith('http')) { $Uri = $Service.Url.TrimEnd('/') + $Uri }
        $request = @{ Method = $Method; Uri = $Uri; SkipHttpErrorCheck = $true; TimeoutSec = 60 }
        if ($Key) { $request.Headers = @{ Authorization = "Key $Key" } }
        if ($null -ne $Body) {
            $request.ContentType = 'application/json'
            $request.Body = $Body -is [string] ? $Body : ($Body | ConvertTo-Json -Depth 5)
        }
        $response = Invoke-WebRequest @request
        $json = $null
        if ($response.Headers['Content-Type'] -like 'application/json*' -and $response.Content) { $json = $response.Content | ConvertFrom-Json }
        [pscustomobject]@{ Status = [int]$response.StatusCode; Json = $json; Headers = $response.Headers; Content = $response.Content }
    }

    function Wait-JobState {
        <# Polls a visualization until -Until holds for its output (default: finished), within a generous timeout. #>
        param([Parameter(Mandatory)] [string] $Id, [scriptblock] $Until = { $_.status.code -in 'DONE', 'FAILED' }, $Service = $service, [int] $TimeoutSeconds = 180)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            $output = (Invoke-Api -Uri "/v2/visualizations/$Id" -Service $Service -Key $Service.Key).Json.output
            if ($output | Where-Object $Until) { return $output }
            if ([DateTime]::UtcNow -gt $deadline) { throw "Visualization $Id did not reach the condition within $TimeoutSeconds s; it is $($output.status.code): $($output.status.description)" }
            Start-Sleep -Milliseconds 100
        }
    }

    function Get-TemporaryFiles([string] $Folder) {
        Get-ChildItem -LiteralPath $Folder -Recurse -Force | Where-Object Name -Like '.*.gridtsne-*.tmp'
    }
}

AfterAll {
    Stop-PhotoGridService
}

Describe 'Start-PhotoGridService' {
    It 'returns the URL, the state folder and a key kept in a file only the user can read' {
        $service.Url | Should -Match '^http://127\.0\.0\.1:\d+/$'
        $service.StatePath | Should -Be (Join-Path $TestDrive 'state')
        $service.Key | Should -Match '^[A-Za-z0-9_-]{40,}$'
        $keyFile = Join-Path $service.StatePath 'access-key'
        (Get-Content -LiteralPath $keyFile -Raw).Trim() | Should -Be $service.Key
        if (-not $IsWindows) { [int](Get-Item -LiteralPath $keyFile).UnixFileMode | Should -Be ([Convert]::ToInt32('600', 8)) }
        (Get-PhotoGridService -Port $service.Port).Url | Should -Be $service.Url
    }

    It 'refuses a second service on the same port with a clear error' {
        { Start-PhotoGridService -Root $root -StatePath (Join-Path $TestDrive 'state2') -Port $service.Port -ErrorAction Stop } |
            Should -Throw -ErrorId 'ServicePortInUse,GridTsne.Commands.StartPhotoGridServiceCommand' -ExpectedMessage "*already listens on port $($service.Port)*"
    }

    It 'refuses a port another program holds' {
        $holder = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $holder.Start()
        try {
            $port = $holder.LocalEndpoint.Port
            { Start-PhotoGridService -Root $root -StatePath (Join-Path $TestDrive 'state3') -Port $port -ErrorAction Stop } |
                Should -Throw -ErrorId 'ServicePortInUse,GridTsne.Commands.StartPhotoGridServiceCommand' -ExpectedMessage "*Port $port on 127.0.0.1 is in use*"
        }
        finally { $holder.Stop() }
    }
}

Describe 'The visualizations API' {
    It 'answers 202 PENDING, then DONE with a JPEG of the grid''s size, a viewer and a layout' {
        $posted = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $photos; tile_size = 32; columns = 3; perplexity = 2; name = 'nine' }
        $posted.Status | Should -Be 202
        $posted.Json.output.status.code | Should -Be 'PENDING'
        $posted.Json.output.id | Should -Match '^[0-9a-f]{32}$'
        $posted.Headers['Location'] | Should -Be "/v2/visualizations/$($posted.Json.output.id)"

        $done = Wait-JobState $posted.Json.output.id
        $done.status.code | Should -Be 'DONE'
        $done.data.grid.photos | Should -Be 9
        # The link that leads out of the root was left out, the unreadable photo too, and both are reported
        # with the cmdlets' ErrorIds.
        $done.error_count | Should -Be 2
        ($done.errors | Where-Object path -EQ (Join-Path $photos 'linked-secret.jpg')).reason | Should -Be 'PathOutsideRoots'
        ($done.errors | Where-Object path -EQ (Join-Path $photos 'broken.jpg')).reason | Should -Be 'ImageFormatUnknown'
        $done.status.description | Should -BeLike '*could not be used*'

        $image = Join-Path $TestDrive 'grid.jpg'
        Invoke-WebRequest -Uri $done.data.image.url -Headers @{ Authorization = "Key $($service.Key)" } -OutFile $image
        Get-TestImageFormat $image | Should -Be 'JPEG'
        $size = Get-TestImageSize $image
        "$($size.Width) x $($size.Height)" | Should -Be '96 x 96'
        $done.data.image.width | Should -Be 96

        $layout = (Invoke-Api -Uri $done.data.layout.url).Json
        $layout.format | Should -Be 'GridTsne.PhotoGridLayout'
        @($layout.cells).Count | Should -Be 9
        ($layout.cells | ForEach-Object { "$($_.row),$($_.column)" } | Sort-Object -Unique).Count | Should -Be 9

        $viewer = Invoke-Api -Uri $done.data.viewer.url
        $viewer.Status | Should -Be 200
        $viewer.Headers['Content-Type'] | Should -BeLike 'text/html*'

        (Invoke-Api -Uri '/v2/visualizations').Json.outputs.id | Should -Contain $done.id
    }

    It 'runs the layout optimizer when asked, and reports its DPQ16 before and after' {
        $posted = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $photos; tile_size = 32; columns = 3; perplexity = 2; optimize = $true }
        $posted.Status | Should -Be 202
        $done = Wait-JobState $posted.Json.output.id
        $done.status.code | Should -Be 'DONE'
        $done.input.options.optimize | Should -BeTrue
        $done.status.description | Should -Match 'DPQ16 \d\.\d{4} before, \d\.\d{4} after'
        $done.data.grid.dpq16_after | Should -BeGreaterOrEqual $done.data.grid.dpq16_before

        $image = Join-Path $TestDrive 'optimized.jpg'
        Invoke-WebRequest -Uri $done.data.image.url -Headers @{ Authorization = "Key $($service.Key)" } -OutFile $image
        $size = Get-TestImageSize $image
        "$($size.Width) x $($size.Height)" | Should -Be '96 x 96'
        $layout = (Invoke-Api -Uri $done.data.layout.url).Json
        ($layout.cells | ForEach-Object { "$($_.row),$($_.column)" } | Sort-Object -Unique).Count | Should -Be 9
    }

    It 'reports FAILED with the reason and the per-photo errors when no photo can be read' {
        $posted = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ paths = @('photos/broken.jpg', 'photos/missing.jpg') }
        $posted.Status | Should -Be 202
        $failed = Wait-JobState $posted.Json.output.id
        $failed.status.code | Should -Be 'FAILED'
        $failed.status.reason | Should -Be 'no_photos'
        $failed.status.description | Should -BeLike 'None of the 2 photos could be read*'
        $failed.errors.reason | Sort-Object | Should -Be @('ImageFormatUnknown', 'ImageNotFound')
        $failed.data | Should -BeNullOrEmpty
    }

    It 'answers 401 without the key or with a wrong one, and serves the status page without it' {
        (Invoke-Api -Uri '/v2/visualizations' -Key '').Status | Should -Be 401
        $wrong = Invoke-Api -Uri '/v2/visualizations' -Key 'not-the-key'
        $wrong.Status | Should -Be 401
        $wrong.Json.status.code | Should -Be 'UNAUTHORIZED'
        (Invoke-Api -Method POST -Uri '/v2/visualizations' -Key '' -Body @{ folder = $photos }).Status | Should -Be 401
        (Invoke-Api -Uri '/' -Key '').Status | Should -Be 200
        (Invoke-Api -Uri '/status.js' -Key '').Status | Should -Be 200
    }

    It 'lets web pages of other origins call it with the key (CORS)' {
        $preflight = Invoke-WebRequest -Method Options -Uri "$($service.Url)v2/visualizations" -SkipHttpErrorCheck -Headers @{
            Origin = 'http://example.test'; 'Access-Control-Request-Method' = 'POST'; 'Access-Control-Request-Headers' = 'authorization,content-type' }
        $preflight.StatusCode | Should -Be 204
        $preflight.Headers['Access-Control-Allow-Origin'] | Should -Be '*'
        $preflight.Headers['Access-Control-Allow-Headers'] | Should -BeLike '*Authorization*'
        (Invoke-Api -Uri '/v2/visualizations').Headers['Access-Control-Allow-Origin'] | Should -Be '*'
        (Invoke-Api -Uri '/v2/visualizations' -Key '').Status | Should -Be 401
    }

    It 'refuses <Case> with 403' -ForEach @(
        @{ Case = 'a relative ../ folder'; Body = @{ folder = '../outside' } }
        @{ Case = 'an absolute folder with ..'; Body = @{ folder = "$root/photos/../../outside" } }
        @{ Case = 'a photo path with ..'; Body = @{ paths = @("$root/photos/../../outside/secret.jpg") } }
        @{ Case = 'a folder linked out of the root'; Body = @{ folder = "$root/escape" } }
        @{ Case = 'a photo through a linked folder'; Body = @{ paths = @("$root/escape/secret.jpg") } }
        @{ Case = 'a photo linked out of the root'; Body = @{ paths = @("$root/photos/photo-0.jpg", "$root/photos/linked-secret.jpg") } }
        @{ Case = '.. after a link'; Body = @{ paths = @("$root/escape/../outside/secret.jpg") } }
    ) {
        $answer = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body $Body
        $answer.Status | Should -Be 403
        $answer.Json.status.code | Should -Be 'PATH_OUTSIDE_ROOTS'
    }

    It 'answers 400 for <Case>' -ForEach @(
        @{ Case = 'malformed JSON'; Body = '{"folder": '; Code = 'INVALID_JSON' }
        @{ Case = 'an unknown option'; Body = '{"folder": "photos", "tile_sise": 32}'; Code = 'UNKNOWN_MEMBER' }
        @{ Case = 'a non-boolean optimize'; Body = '{"folder": "photos", "optimize": "yes"}'; Code = 'INVALID_OPTION' }
        @{ Case = 'an unknown model'; Body = '{"folder": "photos", "model": "NoSuchModel"}'; Code = 'UNKNOWN_MODEL' }
        @{ Case = 'a tile size out of range'; Body = '{"folder": "photos", "tile_size": 100000}'; Code = 'INVALID_OPTION' }
        @{ Case = 'both folder and paths'; Body = '{"folder": "photos", "paths": ["photos/photo-0.jpg"]}'; Code = 'NO_PHOTOS' }
    ) {
        $answer = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body $Body
        $answer.Status | Should -Be 400
        $answer.Json.status.code | Should -Be $Code
    }

    It 'answers 413 for a body over the limit' {
        $huge = @{ paths = @(1..4000 | ForEach-Object { "photos/photo-$_.jpg" }) } | ConvertTo-Json
        $huge.Length | Should -BeGreaterThan 65536
        $answer = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body $huge
        $answer.Status | Should -Be 413
        $answer.Json.status.code | Should -Be 'BODY_TOO_LARGE'
    }

    It 'answers 404 for an unknown visualization, and serves no file outside a job''s outputs' {
        (Invoke-Api -Uri '/v2/visualizations/0123456789abcdef0123456789abcdef').Status | Should -Be 404
        (Invoke-Api -Uri '/v2/visualizations/..%2F..%2Faccess-key').Status | Should -Be 404
        $any = (Invoke-Api -Uri '/v2/visualizations').Json.outputs | Where-Object { $_.status.code -eq 'DONE' } | Select-Object -First 1
        (Invoke-Api -Uri "/v2/visualizations/$($any.id)/output/..%2Fjob.json").Status | Should -Be 404
        (Invoke-Api -Uri "/v2/visualizations/$($any.id)/output/%2E%2E/job.json").Status | Should -Be 404
    }

    Context 'while a long job runs' {
        BeforeAll {
            $script:long = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $many }).Json.output
            $script:running = Wait-JobState $long.id { $_.status.code -eq 'RUNNING' -and $_.status.progress.phase -eq 'embedding' }
        }

        It 'reports its progress' {
            $running.status.progress.total | Should -Be 400
            $running.status.description | Should -BeLike 'Embedding photos*'
        }

        It 'answers 50 concurrent status requests' {
            $client = [System.Net.Http.HttpClient]::new()
            try {
                $client.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Key', $service.Key)
                $uri = $service.Url + "v2/visualizations/$($long.id)"
                $requests = 1..50 | ForEach-Object { $client.GetAsync($uri) }
                [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]$requests, [TimeSpan]::FromSeconds(120)) | Should -BeTrue
                $codes = $requests | ForEach-Object { [int]$_.Result.StatusCode }
                $codes | Where-Object { $_ -ne 200 } | Should -BeNullOrEmpty
                $states = $requests | ForEach-Object { ($_.Result.Content.ReadAsStringAsync().Result | ConvertFrom-Json).output.status.code } | Sort-Object -Unique
                $states | Should -Be 'RUNNING'
            }
            finally { $client.Dispose() }
        }

        It 'queues one job and refuses the next with 429' {
            $waiting = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $photos }
            $waiting.Status | Should -Be 202
            $refused = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $photos }
            $refused.Status | Should -Be 429
            $refused.Json.status.code | Should -Be 'QUEUE_FULL'
            $refused.Headers['Retry-After'] | Should -Not -BeNullOrEmpty

            # DELETE cancels the waiting job: it never runs.
            $canceled = Invoke-Api -Method DELETE -Uri "/v2/visualizations/$($waiting.Json.output.id)"
            $canceled.Status | Should -Be 200
            $canceled.Json.output.status.code | Should -Be 'FAILED'
            $canceled.Json.output.status.reason | Should -Be 'canceled'
        }

        It 'cancels the running job on DELETE, then deletes it with its files' {
            $canceled = Invoke-Api -Method DELETE -Uri "/v2/visualizations/$($long.id)"
            $canceled.Status | Should -Be 200
            $canceled.Json.output.status.code | Should -Be 'FAILED'
            $canceled.Json.output.status.reason | Should -Be 'canceled'
            $folder = Join-Path $service.StatePath "jobs/$($long.id)"
            Test-Path -LiteralPath (Join-Path $folder 'output') | Should -BeFalse

            (Invoke-Api -Method DELETE -Uri "/v2/visualizations/$($long.id)").Status | Should -Be 204
            Test-Path -LiteralPath $folder | Should -BeFalse
            (Invoke-Api -Uri "/v2/visualizations/$($long.id)").Status | Should -Be 404
        }
    }
}

Describe 'A service killed mid-job' {
    BeforeAll {
        $script:killedState = Join-Path $TestDrive 'killed-state'
        $info = Join-Path $TestDrive 'child-service.json'
        $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
        $command = @"
Import-Module '$((Get-GridTsneManifestPath).Replace("'", "''"))'
`$service = Start-PhotoGridService -Root '$($root.Replace("'", "''"))' -StatePath '$($killedState.Replace("'", "''"))' -Port 0
@{ Url = `$service.Url; Key = `$service.Key; ProcessId = `$PID } | ConvertTo-Json | Set-Content -LiteralPath '$($info.Replace("'", "''"))'
while (`$true) { Start-Sleep -Seconds 1 }
"@
        $script:child = Start-Process -FilePath $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $command -PassThru `
            -RedirectStandardOutput (Join-Path $TestDrive 'child.out') -RedirectStandardError (Join-Path $TestDrive 'child.err')
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path -LiteralPath $info) -or -not (Get-Content -LiteralPath $info -Raw)) {
            if ($child.HasExited) { throw "The child service exited: $(Get-Content -Raw (Join-Path $TestDrive 'child.err'))" }
            if ([DateTime]::UtcNow -gt $deadline) { throw 'The child service did not start within 60 s.' }
            Start-Sleep -Milliseconds 100
        }
        $script:childService = Get-Content -LiteralPath $info -Raw | ConvertFrom-Json

        # One job finishes; the next is killed while it runs.
        $script:finished = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $photos; tile_size = 16; perplexity = 2 } -Service $childService -Key $childService.Key).Json.output
        Wait-JobState $finished.id -Service $childService | Out-Null
        $script:killed = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $many } -Service $childService -Key $childService.Key).Json.output
        Wait-JobState $killed.id { $_.status.code -eq 'RUNNING' -and $_.status.progress.done -gt 0 } -Service $childService | Out-Null
        # The state folder is the other process's while it runs.
        $script:stateInUse = try {
            Start-PhotoGridService -Root $root -StatePath $killedState -Port 0 -ErrorAction Stop | Stop-PhotoGridService
            'started'
        }
        catch { $_.FullyQualifiedErrorId }

        # The service's own process: the pwsh on PATH can be a launcher that runs pwsh as its child.
        $script:serviceProcess = Get-Process -Id $childService.ProcessId
        Stop-Process -Id $serviceProcess.Id -Force
        $serviceProcess.WaitForExit(30000) | Out-Null

        $script:restarted = Start-PhotoGridService -Root $root -StatePath $killedState -Port 0
    }

    AfterAll {
        foreach ($process in $serviceProcess, $child) {
            if ($process -and -not $process.HasExited) { Stop-Process -Id $process.Id -Force }
        }
        if ($restarted) { $restarted | Stop-PhotoGridService }
    }

    It 'refused a second service on the state folder while the first one ran' {
        $stateInUse | Should -Be 'ServiceStateInUse,GridTsne.Commands.StartPhotoGridServiceCommand'
    }

    It 'reports the interrupted job as FAILED "interrupted" after a restart' {
        $job = Wait-JobState $killed.id -Service $restarted
        $job.status.code | Should -Be 'FAILED'
        $job.status.reason | Should -Be 'interrupted'
        $job.data | Should -BeNullOrEmpty
    }

    It 'keeps the finished job and serves its image' {
        $job = Wait-JobState $finished.id -Service $restarted
        $job.status.code | Should -Be 'DONE'
        $image = Join-Path $TestDrive 'after-restart.jpg'
        Invoke-WebRequest -Uri $job.data.image.url -Headers @{ Authorization = "Key $($restarted.Key)" } -OutFile $image
        Get-TestImageFormat $image | Should -Be 'JPEG'
        (Get-TestImageSize $image).Width | Should -Be 48
    }

    It 'leaves nothing half-written' {
        Get-TemporaryFiles $killedState | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $killedState "jobs/$($killed.id)/output") | Should -BeFalse
        (Invoke-Api -Uri "/v2/visualizations/$($killed.id)/output/grid.jpg" -Service $restarted -Key $restarted.Key).Status | Should -Be 404
    }

    It 'keeps the key' {
        $restarted.Key | Should -Be $childService.Key
    }
}

Describe 'The status page' {
    BeforeAll {
        $hostileFolder = New-Item -ItemType Directory -Path (Join-Path $root $hostileName)
        Copy-Item -Path (Join-Path $photos 'photo-[0-3].jpg') -Destination $hostileFolder.FullName
        Copy-Item -LiteralPath (Join-Path $photos 'photo-4.jpg') -Destination (Join-Path $hostileFolder.FullName "$hostileName.jpg")
        # One at a time: this service queues a single job.
        $script:hostileJob = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $hostileFolder.FullName; tile_size = 16; perplexity = 1 }).Json.output
        Wait-JobState $hostileJob.id | Out-Null
        $script:namedJob = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $hostileFolder.FullName; name = '<script>alert(2)</script>'; tile_size = 16; perplexity = 1 }).Json.output
        Wait-JobState $namedJob.id | Out-Null
        $script:browser = Start-ChromiumSession
    }

    AfterAll {
        if ($browser) { Stop-ChromiumSession $browser }
    }

    It 'lists the visualizations with hostile names as plain text' {
        Invoke-WebDriver $browser POST '/url' @{ url = $service.StatusPageUrl } | Out-Null
        Wait-BrowserCondition $browser "document.body.dataset.loaded === 'true'" | Out-Null
        $names = Invoke-BrowserScript $browser "return Array.from(document.querySelectorAll('tbody tr td:first-child a, tbody tr td:first-child span.name')).map(function (e) { return e.textContent; });"
        $names | Should -Contain $hostileName
        $names | Should -Contain '<script>alert(2)</script>'
        Invoke-BrowserScript $browser "return document.querySelectorAll('tbody img, tbody script, body > img').length;" | Should -Be 0
        { Get-BrowserAlertText $browser } | Should -Throw 'no such alert*'
        # The key left the address bar.
        Invoke-WebDriver $browser GET '/url' | Should -Not -BeLike '*key=*'
    }

    It 'opens a viewer from its link, with hostile file names escaped there too' {
        $href = Invoke-BrowserScript $browser "return document.querySelector('tr[data-id=""$($hostileJob.id)""] a.viewer-link').href;"
        $href | Should -BeLike "$($service.Url)v2/visualizations/$($hostileJob.id)/output/viewer.html"
        Invoke-WebDriver $browser POST '/url' @{ url = $href } | Out-Null
        Wait-BrowserCondition $browser 'window.gridViewer && window.gridViewer.status.ready' | Out-Null
        Invoke-BrowserScript $browser "return document.querySelectorAll('img[src=x]').length;" | Should -Be 0
        { Get-BrowserAlertText $browser } | Should -Throw 'no such alert*'
    }
}

Describe 'A state folder under a root' {
    It 'is never served as photos' {
        $inside = Start-PhotoGridService -Root $root -StatePath (Join-Path $root 'state-inside') -Port 0
        try {
            $answer = Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ paths = @('state-inside/access-key') } -Service $inside -Key $inside.Key
            $answer.Status | Should -Be 403
            $answer.Json.status.code | Should -Be 'PATH_OUTSIDE_ROOTS'
        }
        finally { $inside | Stop-PhotoGridService }
    }
}

Describe 'Get-PhotoGridService and Stop-PhotoGridService' {
    It 'report a port without a service' {
        Get-PhotoGridService -Port 1 -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing.FullyQualifiedErrorId | Should -Be 'ServiceNotFound,GridTsne.Commands.GetPhotoGridServiceCommand'
        Stop-PhotoGridService -Port 1 -ErrorVariable notStopped -ErrorAction SilentlyContinue
        $notStopped.FullyQualifiedErrorId | Should -Be 'ServiceNotFound,GridTsne.Commands.StopPhotoGridServiceCommand'
    }

    It 'stops nothing with -WhatIf' {
        $service | Stop-PhotoGridService -WhatIf
        $service.IsRunning | Should -BeTrue
        (Invoke-Api -Uri '/v2/visualizations').Status | Should -Be 200
    }
}

Describe 'Stop-PhotoGridService' {
    It 'cancels the running job, which the next start reports as interrupted, and keeps the waiting one' {
        $state = Join-Path $TestDrive 'stop-running-state'
        $first = Start-PhotoGridService -Root $root -StatePath $state -Port 0
        $running = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $many } -Service $first -Key $first.Key).Json.output
        Wait-JobState $running.id { $_.status.code -eq 'RUNNING' } -Service $first | Out-Null
        $waiting = (Invoke-Api -Method POST -Uri '/v2/visualizations' -Body @{ folder = $photos; tile_size = 16; perplexity = 2 } -Service $first -Key $first.Key).Json.output
        $first | Stop-PhotoGridService
        (Get-Content -LiteralPath (Join-Path $state "jobs/$($running.id)/job.json") -Raw | ConvertFrom-Json).State | Should -Be 'FAILED'

        $second = Start-PhotoGridService -Root $root -StatePath $state -Port 0
        try {
            $stopped = Wait-JobState $running.id -Service $second
            $stopped.status.reason | Should -Be 'interrupted'
            (Wait-JobState $waiting.id -Service $second).status.code | Should -Be 'DONE'
        }
        finally { $second | Stop-PhotoGridService }
    }

    It 'stops the service and frees its port' {
        $other = Start-PhotoGridService -Root $root -StatePath (Join-Path $TestDrive 'stop-state') -Port 0
        $port = $other.Port
        $other | Stop-PhotoGridService
        $other.IsRunning | Should -BeFalse
        Get-PhotoGridService | Where-Object Port -EQ $port | Should -BeNullOrEmpty
        $again = Start-PhotoGridService -Root $root -StatePath (Join-Path $TestDrive 'stop-state') -Port $port
        try { $again.Port | Should -Be $port }
        finally { Stop-PhotoGridService -Port $port }
    }
}
