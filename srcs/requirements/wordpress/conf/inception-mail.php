<?php
/*
 * Inception (must-use plugin, installed by inception-wordpress): outgoing mail. PHP hands
 * WordPress's mail to msmtp (its sendmail_path), which sends it through the SMTP relay set in
 * srcs/.env (SMTP_HOST, ...; wp-config.php names it INCEPTION_SMTP_RELAY). Every mail leaves
 * from SMTP_FROM, the address the relay accepts. Without a relay, Site Health says no mail
 * leaves, and a failed mail is written to the container's log.
 */
add_filter('wp_mail_from', function ($from) {
    return defined('INCEPTION_SMTP_FROM') && INCEPTION_SMTP_FROM !== '' ? INCEPTION_SMTP_FROM : $from;
});

add_action('wp_mail_failed', function ($error) {
    $relay = defined('INCEPTION_SMTP_RELAY') && INCEPTION_SMTP_RELAY !== ''
        ? 'through ' . INCEPTION_SMTP_RELAY : '(no mail transport configured: SMTP_HOST unset)';
    error_log('inception: a mail could not be sent ' . $relay . ': ' . $error->get_error_message());
});

add_filter('site_status_tests', function ($tests) {
    $tests['direct']['inception_mail'] = [
        'label' => 'Outgoing mail',
        'test' => function () {
            $relay = defined('INCEPTION_SMTP_RELAY') ? INCEPTION_SMTP_RELAY : '';
            $result = [
                'label' => $relay === '' ? 'No mail transport configured' : 'Mail leaves through ' . $relay,
                'status' => $relay === '' ? 'recommended' : 'good',
                'badge' => ['label' => 'Mail', 'color' => $relay === '' ? 'orange' : 'blue'],
                'description' => $relay === ''
                    ? '<p>No mail transport configured: WordPress sends no mail (lost passwords, '
                        . 'notifications). Set SMTP_HOST and the other SMTP_ settings in srcs/.env, '
                        . 'then <code>make</code>.</p>'
                    : '<p>WordPress sends its mail through the SMTP relay ' . esc_html($relay)
                        . ' as ' . esc_html(INCEPTION_SMTP_FROM) . '. '
                        . '<code>docker exec wordpress wp mail test ADDRESS</code> sends a test mail.</p>',
                'test' => 'inception_mail',
            ];
            return $result;
        },
    ];
    return $tests;
});
