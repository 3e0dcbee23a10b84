<?php
/*
 * Inception (must-use plugin, installed by inception-wordpress): WordPress core comes with the
 * container image, which upgrades the site when it starts (docs/upgrades.md).
 * The dashboard therefore never offers to replace core files, and Dashboard › Updates says
 * where new versions come from. Plugins and themes belong to the site: they stay installable
 * and updatable here.
 */
add_filter('map_meta_cap', function ($caps, $cap) {
    return $cap === 'update_core' ? ['do_not_allow'] : $caps;
}, 10, 2);

add_action('admin_notices', function () {
    $screen = get_current_screen();
    if (!$screen || $screen->id !== 'update-core') {
        return;
    }
    printf(
        '<div class="notice notice-info inline" id="inception-core-updates"><p>%s</p></div>',
        sprintf(
            'This site runs WordPress %s, which comes with its container image: a new version '
            . 'of WordPress arrives with a new image (<code>git pull &amp;&amp; make</code>), '
            . 'which upgrades the site when it starts and keeps the old version to roll back '
            . 'to. Plugins and themes are updated here.',
            esc_html(get_bloginfo('version'))
        )
    );
});
