set -u
T="tmux -L xo-client"
D=/tmp/xo-screens
rm -rf $D/lan-x $D/lan-o; mkdir -p $D/lan-x $D/lan-o
$T kill-server 2>/dev/null
$T new-session -d -s s -x 80 -y 40 -n x "bash --norc"
$T send-keys -t s:x "cd /work/wt/client && export XO_STATE_DIR=$D/lan-x PATH=/usr/bin:/bin && clear" Enter
$T new-window -t s: -n o "bash --norc"
$T send-keys -t s:o "cd /work/wt/client && export XO_STATE_DIR=$D/lan-o PATH=/usr/bin:/bin && clear" Enter
$T send-keys -t s:x ".venv/bin/xo new --host 127.0.0.2" Enter
for i in $(seq 80); do $T capture-pane -p -t s:x | grep -q "Game id" && break; sleep 0.5; done
sleep 1
$T capture-pane -p -t s:x > $D/7-lan-x-start.txt
GID=$($T capture-pane -p -t s:x | sed -n 's/^Game id: //p')
URL=$($T capture-pane -p -t s:x | sed -n 's/^Hosting a local game server at //p')
$T send-keys -t s:o "/work/wt/client/.venv/bin/xo join $URL#$GID" Enter
sleep 5
for m in "x 1,1" "o 0,0" "x 0,2" "o 2,0" "x 1,0" "o 1,2" "x 0,1" "o 2,1" "x 2,2"; do
  set -- $m; $T send-keys -t s:$1 "$2" Enter; sleep 2.5
done
sleep 2
$T send-keys -t s:x "echo exit=\$?" Enter
$T send-keys -t s:o "echo exit=\$?" Enter
sleep 1
$T capture-pane -p -t s:x > $D/8-lan-x-end.txt
$T capture-pane -p -t s:o > $D/9-lan-o-end.txt
# 80 and 50 columns
$T new-window -t s: -n h80 "bash --norc"
$T resize-window -t s:h80 -x 80 -y 60
$T send-keys -t s:h80 "cd /work/wt/client && clear && PATH=/usr/bin:/bin .venv/bin/xo --help" Enter
sleep 4
$T capture-pane -p -t s:h80 > $D/10-help-80.txt
$T new-window -t s: -n h50 "bash --norc"
$T resize-window -t s:h50 -x 50 -y 80
$T send-keys -t s:h50 "cd /work/wt/client && clear && PATH=/usr/bin:/bin .venv/bin/xo --help" Enter
sleep 4
$T capture-pane -p -t s:h50 > $D/11-help-50.txt
$T send-keys -t s:h50 "clear && XO_STATE_DIR=$D/s50 .venv/bin/xo new" Enter
for i in $(seq 80); do $T capture-pane -p -t s:h50 | grep -q "Waiting" && break; sleep 0.5; done
sleep 2
$T capture-pane -p -t s:h50 > $D/12-spinner-50.txt
$T send-keys -t s:h50 C-c
sleep 3
$T capture-pane -p -t s:h50 > $D/13-ctrl-c-50.txt
$T kill-server
